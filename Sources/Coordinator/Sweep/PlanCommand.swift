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
        o += "estimated CPU time: \(CostModel.format(seconds: total))"
        o += " (\(CostModel.format(seconds: total / Double(max(cores, 1)))) on \(cores) core\(cores == 1 ? "" : "s"))"
        if sweep.jobs.count > 0 { o += ", mean \(CostModel.format(seconds: total / Double(sweep.jobs.count))) per job" }
        o += "\n"
        if sleep > 0 { o += "plus \(CostModel.format(seconds: sleep)) of deliberate sleep (sleep_ms)\n" }
        // Breakdown: per value of every axis with at most 20 values, jobs and CPU time.
        for (ai, a) in sweep.axes.enumerated() where a.values.count > 1 && a.values.count <= 20 && total > 0 {
            var count = [Int](repeating: 0, count: a.values.count)
            var cpu = [Double](repeating: 0, count: a.values.count)
            for j in 0..<sweep.jobs.count {
                let v = sweep.axisValueIndex(job: j, axis: ai)
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
