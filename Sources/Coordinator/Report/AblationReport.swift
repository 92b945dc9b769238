import Foundation
import Shared

/// Values read off the paper's figures, where a reproduction can be held against them.
///
/// Only points someone read off the published figure are listed (+-0.005 reading error);
/// everything else in docs/REPRODUCTION.md is ours.
enum PaperReference {
    /// Figure 2 (20 dB): mean test R^2 over 30 realizations.
    static let figure2: [ModelKind: [Int: Double]] = [
        .rnn: [2: 0.915, 4: 0.977],
        .urnn: [2: 0.855, 4: 0.953],
    ]

    /// The published mean test R^2 for a synthetic spec's (model, hidden, snr), if one was read off.
    static func meanR2(_ s: SyntheticSpec) -> Double? {
        s.snrDB == 20 ? figure2[s.model]?[s.hidden] : nil
    }
}

/// The report of an ablation sweep (one with `variants:`): for every base group (the base grid's
/// axes other than `realization`, e.g. model and hidden) and every variant, the statistic of the
/// variant's metric over realizations, and its difference from the first variant paired
/// realization by realization.
///
/// Per base point (one realization of one group) a variant has one value: its job's metric, or,
/// with `select: lowest_train_loss`, the metric of the run with the lowest `train_loss` among the
/// point's runs. A point whose runs are not all stored yet counts as missing, never as a partial
/// choice. Paired differences use the points both variants have; their 95% interval is the
/// Student-t interval of the mean difference, far tighter than comparing two means when the
/// realizations (teachers) explain most of the spread.
struct AblationSummary {
    struct Row {
        var group: String
        var variant: SweepVariant
        /// Values per base point that has one, by point.
        var values: [Int: Double]
        var summary: SampleSummary
        /// Base points of this group whose runs are not all stored.
        var missing: Int
        /// variant - first variant, over the points both have (nil for the first variant).
        var paired: SampleSummary?
        var paper: Double?
    }

    var sweepName: String
    var description: String?
    var variants: [SweepVariant]
    /// Groups in base-grid order, each with one row per variant in file order.
    var groups: [(label: String, rows: [Row])]

    init(sweep: Sweep, records: [String: ResultRecord]) {
        sweepName = sweep.name
        variants = sweep.variants
        description = Self.description(of: sweep)
        let realizationAxis = sweep.axes.firstIndex { $0.key == "realization" }
        func groupLabel(_ point: Int) -> String {
            sweep.axes.indices.filter { $0 != realizationAxis }
                .map { "\(sweep.axes[$0].key) \(sweep.axes[$0].values[sweep.axisValueIndex(job: point, axis: $0)])" }
                .joined(separator: ", ")
        }
        var order: [String] = []
        var rowsByGroup: [String: [Row]] = [:]
        var firstValues: [String: [Int: Double]] = [:]
        let specs = Dictionary(sweep.jobs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (vi, v) in sweep.variants.enumerated() {
            var idsByPoint: [Int: [String]] = [:]
            var pointOrder: [Int] = []
            for (id, p) in zip(v.jobIDs, v.basePoints) {
                if idsByPoint[p] == nil { pointOrder.append(p) }
                idsByPoint[p, default: []].append(id)
            }
            var values: [String: [Int: Double]] = [:]
            var missing: [String: Int] = [:]
            var paper: [String: Double] = [:]
            for p in pointOrder {
                let g = groupLabel(p)
                if vi == 0, !order.contains(g) { order.append(g) }
                let ids = idsByPoint[p]!
                let recs = ids.compactMap { records[$0] }
                if let s = specs[ids[0]]?.synthetic, let ref = PaperReference.meanR2(s) { paper[g] = ref }
                guard recs.count == ids.count, !recs.isEmpty else { missing[g, default: 0] += 1; continue }
                let chosen: ResultRecord
                switch v.selection {
                case .lowestTrainLoss?:
                    chosen = recs.min { a, b in
                        let x = a.outcome[.trainLoss] ?? .nan, y = b.outcome[.trainLoss] ?? .nan
                        return x.isFinite && (!y.isFinite || x < y)
                    }!
                case nil: chosen = recs[0]
                }
                values[g, default: [:]][p] = chosen.outcome[v.metric] ?? .nan
            }
            for g in Set(values.keys).union(missing.keys) {
                let vals = values[g] ?? [:]
                var row = Row(group: g, variant: v, values: vals, summary: SampleSummary(vals.sorted { $0.key < $1.key }.map(\.value)),
                              missing: missing[g] ?? 0, paired: nil, paper: paper[g])
                if vi == 0 {
                    firstValues[g] = vals
                } else if let base = firstValues[g] {
                    row.paired = SampleSummary(vals.keys.sorted().compactMap { p in base[p].map { vals[p]! - $0 } })
                }
                rowsByGroup[g, default: []].append(row)
            }
        }
        groups = order.map { ($0, rowsByGroup[$0] ?? []) }
    }

    static func description(of sweep: Sweep) -> String? {
        sweep.definitionText.split(separator: "\n").first { $0.hasPrefix("description:") }
            .map { $0.dropFirst("description:".count).trimmingCharacters(in: .whitespaces) }
    }

    /// What a variant changes, for the tables.
    static func what(_ v: SweepVariant) -> String {
        var parts = v.settings
        parts += v.ownAxes.map { "\($0.key) \($0.values.first ?? "")..\($0.values.last ?? "")" }
        if let s = v.selection { parts.append(s.rawValue) }
        if v.metric != .testR2 { parts.append("metric \(v.metric)") }
        return parts.isEmpty ? "–" : parts.joined(separator: ", ")
    }

    static let csvHeader = [
        "group", "variant", "changes", "n", "missing", "mean", "ci95_low", "ci95_high", "median", "q1", "q3",
        "diff_mean", "diff_ci95_low", "diff_ci95_high", "pairs", "paper", "mean_minus_paper",
    ]

    func csv() -> String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var t = TextTable(columns: Self.csvHeader)
        for (label, rows) in groups {
            for r in rows {
                let s = r.summary
                t.rows.append([label, r.variant.name, Self.what(r.variant), String(s.count), String(r.missing),
                               n(s.mean), n(s.ci95Low), n(s.ci95High), n(s.median), n(s.q1), n(s.q3),
                               n(r.paired?.mean), n(r.paired?.ci95Low), n(r.paired?.ci95High), String(r.paired?.count ?? 0),
                               n(r.paper), n(zip2(s.mean, r.paper).map { $0 - $1 })])
            }
        }
        return t.csv()
    }

    func markdown() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }
        func signed(_ v: Double?) -> String { v.map { String(format: "%+.3f", $0) } ?? "–" }
        let base = variants.first?.name ?? "baseline"
        var o = "# Ablation: \(sweepName)\n\n"
        if let description { o += description + "\n\n" }
        o += "Each row is one variant over the realizations of its group. *95% CI* is the Student-t interval of "
            + "the mean; *IQR* the interquartile range around the median. *Δ vs \(base)* is the mean of the paired "
            + "differences (same realization, same teacher and data) with its 95% interval: an interval that "
            + "excludes 0 is a real effect. *− paper* is the mean minus the value read off the paper's figure "
            + "(±0.005). *missing*: realizations whose runs are not all stored yet.\n"
        o += overview()
        for (label, rows) in groups {
            o += "\n## \(label)"
            if let p = rows.first(where: { $0.paper != nil })?.paper { o += String(format: " (paper: %.3f)", p) }
            o += "\n\n"
            var t = TextTable(columns: ["variant", "changes", "n", "mean", "95% CI", "median", "IQR", "Δ vs \(base) [95% CI]", "− paper", "missing"],
                              alignments: [.left, .left, .right, .right, .left, .right, .left, .left, .right, .right])
            for r in rows {
                let s = r.summary
                let ci = s.ci95Low.map { "[\(f($0)), \(f(s.ci95High))]" } ?? "–"
                let iqr = s.q1.map { "[\(f($0)), \(f(s.q3))]" } ?? "–"
                let d = r.paired.map { p in signed(p.mean) + (p.ci95Low.map { " [\(signed($0)), \(signed(p.ci95High))]" } ?? "") } ?? "–"
                t.rows.append([r.variant.name, Self.what(r.variant), String(s.count), f(s.mean), ci, f(s.median), iqr, d,
                               signed(zip2(s.mean, r.paper).map { $0 - $1 }), String(r.missing)])
            }
            o += t.markdown()
        }
        return o
    }
}

extension AblationSummary {
    /// One line per variant, one column per group: "mean (Δ)", with the Δ starred when its 95%
    /// interval excludes 0; a first line with the paper's value where one is known.
    func overview() -> String {
        guard let first = groups.first else { return "" }
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }
        var t = TextTable(columns: ["variant"] + groups.map(\.label), alignments: [.left] + groups.map { _ in .right })
        if groups.contains(where: { $0.rows.first?.paper != nil }) {
            t.rows.append(["*paper*"] + groups.map { f($0.rows.first?.paper) })
        }
        for (i, v) in variants.enumerated() where i < first.rows.count {
            t.rows.append([v.name] + groups.map { g in
                guard i < g.rows.count else { return "–" }
                let r = g.rows[i]
                var cell = f(r.summary.mean)
                if let p = r.paired, let d = p.mean {
                    let real = (p.ci95Low.map { $0 > 0 } ?? false) || (p.ci95High.map { $0 < 0 } ?? false)
                    cell += String(format: " (%+.3f%@)", d, real ? "*" : "")
                }
                if r.missing > 0 { cell += " [\(r.summary.count)/\(r.summary.count + r.missing)]" }
                return cell
            })
        }
        return "\n## Overview\n\nMean of each variant per group, and in brackets its paired difference from `\(variants.first?.name ?? "")`; "
            + "`*`: the difference's 95% interval excludes 0. `[n/N]`: only n of N realizations are stored yet.\n\n" + t.markdown()
    }
}

/// Both values, or nil.
func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
