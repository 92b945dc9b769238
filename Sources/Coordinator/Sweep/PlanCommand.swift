import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator plan SWEEP`: job count, breakdown by axis, and a CPU-time estimate.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print a sweep's job count, its breakdown by axis, and a CPU-time estimate.",
        discussion: "SWEEP is a sweep file (YAML) or a preset name: \(SweepPresets.names.joined(separator: ", ")). "
            + "The estimate uses the cost model in docs/SWEEPS.md; --scale multiplies it after calibrating against a real job."
    )

    @Argument(help: "A sweep file or preset name.")
    var sweep: String

    @Option(parsing: .unconditional, help: "Multiply the cost model's estimates by this (calibration).")
    var scale: Double = 1

    @Option(parsing: .unconditional, help: "Cores to divide the CPU time over for the wall-time line (default: this machine's).")
    var cores: Int?

    @Flag(help: "Also print the YAML definition.")
    var showDefinition = false

    func validate() throws {
        guard scale.isFinite, scale > 0 else { throw ValidationError("--scale must be a positive number") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1") }
    }

    func run() throws {
        // A SweepError prints as "FILE:LINE: field 'KEY': message" and exits 1.
        let loaded = try SweepFile.load(pathOrPresetName: sweep)
        let text = Plan.describe(loaded, model: CostModel(scale: scale),
                                 cores: cores ?? ProcessInfo.processInfo.activeProcessorCount)
        print(text, terminator: "")
        if showDefinition { print("\n" + loaded.definitionText) }
    }
}

/// The text `plan` prints; a pure function so it is tested directly.
enum Plan {
    static func describe(_ sweep: Sweep, model: CostModel, cores: Int) -> String {
        let costs = sweep.jobs.map(model.cpuSeconds)
        let total = costs.reduce(0, +)
        let sleep = sweep.jobs.map(model.sleepSeconds).reduce(0, +)
        var o = "sweep \(sweep.name) (kind \(sweep.kind.rawValue)): \(sweep.jobs.count) jobs\n"
        if !sweep.axes.isEmpty {
            o += "axes (the first varies slowest):\n"
            let width = sweep.axes.map(\.key.count).max() ?? 0
            for a in sweep.axes {
                o += "  " + a.key.padding(toLength: width, withPad: " ", startingAt: 0)
                o += "  \(a.values.count) value\(a.values.count == 1 ? "" : "s"): \(Self.list(a.values))\n"
            }
        }
        if !sweep.fixed.isEmpty {
            o += "fixed: " + sweep.fixed.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        let defaults = Self.defaults(sweep)
        if !defaults.isEmpty { o += "defaults: " + defaults.joined(separator: " ") + "\n" }
        o += "estimated CPU time: \(CostModel.format(seconds: total))"
        o += " (\(CostModel.format(seconds: total / Double(max(cores, 1)))) on \(cores) core\(cores == 1 ? "" : "s"))"
        if sweep.jobs.count > 0 { o += ", mean \(CostModel.format(seconds: total / Double(sweep.jobs.count))) per job" }
        o += "\n"
        if sleep > 0 { o += "plus \(CostModel.format(seconds: sleep)) of deliberate sleep (sleep_ms)\n" }
        // Each job's base grid point: its index for a plain grid; for variants, the point where
        // the job first appears (shared jobs count once).
        var point = Array(0..<sweep.jobs.count)
        if !sweep.variants.isEmpty {
            var first: [String: Int] = [:]
            for v in sweep.variants { for (id, p) in zip(v.jobIDs, v.basePoints) where first[id] == nil { first[id] = p } }
            point = sweep.jobs.map { first[$0.id] ?? 0 }
            o += Self.variantBreakdown(sweep, costs: costs, total: total)
        }
        // Breakdown: per value of every axis with at most 20 values, jobs and CPU time.
        for (ai, a) in sweep.axes.enumerated() where a.values.count > 1 && a.values.count <= 20 && total > 0 {
            var count = [Int](repeating: 0, count: a.values.count)
            var cpu = [Double](repeating: 0, count: a.values.count)
            for j in 0..<sweep.jobs.count {
                let v = sweep.axisValueIndex(job: point[j], axis: ai)
                count[v] += 1; cpu[v] += costs[j]
            }
            o += "by \(a.key):\n"
            let width = a.values.map(\.count).max() ?? 0
            for (v, name) in a.values.enumerated() {
                let share = total > 0 ? 100 * cpu[v] / total : 0
                o += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
                o += Self.pad(String(count[v]), 7) + " jobs  " + Self.pad(CostModel.format(seconds: cpu[v]), 10)
                o += String(format: "  %5.1f%%\n", share)
            }
        }
        return o
    }

    /// Per variant: its jobs, the jobs no earlier variant has (what it adds to the run), and their CPU time.
    static func variantBreakdown(_ sweep: Sweep, costs: [Double], total: Double) -> String {
        var cost: [String: Double] = [:]
        for (job, c) in zip(sweep.jobs, costs) { cost[job.id] = c }
        var seen = Set<String>()
        var o = "by variant (jobs, jobs not in an earlier variant, their CPU time):\n"
        let width = sweep.variants.map(\.name.count).max() ?? 0
        for v in sweep.variants {
            let fresh = Set(v.jobIDs).subtracting(seen)
            seen.formUnion(fresh)
            let cpu = fresh.reduce(0.0) { $0 + (cost[$1] ?? 0) }
            o += "  " + v.name.padding(toLength: width, withPad: " ", startingAt: 0)
            o += Self.pad(String(v.jobIDs.count), 7) + Self.pad(String(fresh.count), 7) + " new  "
            o += Self.pad(CostModel.format(seconds: cpu), 10)
            o += String(format: "  %5.1f%%", total > 0 ? 100 * cpu / total : 0)
            var what = v.settings
            if !v.ownAxes.isEmpty { what += v.ownAxes.map { "\($0.key) in \(Self.list($0.values))" } }
            if let sel = v.selection { what.append("keep \(sel.rawValue)") }
            if v.metric != .testR2 { what.append("metric \(v.metric)") }
            o += what.isEmpty ? "\n" : "  " + what.joined(separator: ", ") + "\n"
        }
        return o
    }

    /// The fields the sweep leaves at their declared defaults ("eps=0.01"): every field a sweep file
    /// may set that no axis, fixed value or variant names (optional fields without a default value
    /// of their own, such as pmnist's `validation`, print their rule).
    static func defaults(_ sweep: Sweep) -> [String] {
        var named = Set(sweep.axes.map(\.key)).union(sweep.fixed.map(\.key))
        for v in sweep.variants {
            named.formUnion(v.ownAxes.map(\.key))
            named.formUnion(v.settings.map { String($0.prefix { $0 != "=" }) })
        }
        let schema = KindSchema.forKind(sweep.kind)
        return schema.fields.filter { $0.inSweeps && $0.json != nil && !schema.required.contains($0.key) && !named.contains($0.key) }
            .map { "\($0.key)=\($0.defaultText.contains(" ") ? "(\($0.defaultText))" : $0.defaultText)" }
    }

    /// Right-aligns `s` in `width` columns.
    static func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    /// "2, 4, 6" or, for long axes, "0, 1, 2, ..., 9999".
    static func list(_ values: [String]) -> String {
        values.count <= 12 ? values.joined(separator: ", ")
            : values.prefix(3).joined(separator: ", ") + ", ..., " + values.last!
    }
}
