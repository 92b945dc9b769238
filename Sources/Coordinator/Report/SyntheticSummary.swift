import Foundation
import Shared

/// One row of the synthetic-experiment table: every stored run of one (model, hidden, snr).
///
/// `testR2` summarises `metrics["test_r2"]` over the group's runs (usually one per realization);
/// a run whose test R^2 is missing or non-finite is left out of every statistic and counted in
/// `testR2.nonFinite`, so a diverged run never turns a mean into NaN.
public struct SummaryRow: Sendable, Hashable {
    public var model: ModelKind
    public var hidden: Int
    public var snrDB: Double
    /// Stored runs in the group.
    public var runs: Int
    public var testR2: SampleSummary
    /// Runs whose outcome status is `.diverged`.
    public var diverged: Int
    /// Runs where the divergence guard intervened (`metrics["guard_events"] > 0`).
    public var guarded: Int
    /// Mean of the finite `metrics["optimal_r2"]` (R^2 of the noiseless teacher output); nil if none.
    public var optimalR2: Double?
    /// Each run's test R^2 with its realization, in store order (the figure's per-run points).
    public var runsR2: [(realization: Int, r2: Double)] = []

    public static func == (a: SummaryRow, b: SummaryRow) -> Bool {
        a.model == b.model && a.hidden == b.hidden && a.snrDB == b.snrDB && a.runs == b.runs && a.testR2 == b.testR2
            && a.diverged == b.diverged && a.guarded == b.guarded && a.optimalR2 == b.optimalR2
            && a.runsR2.elementsEqual(b.runsR2) { $0.realization == $1.realization && $0.r2.bitPattern == $1.r2.bitPattern }
    }

    public func hash(into h: inout Hasher) {
        h.combine(model); h.combine(hidden); h.combine(snrDB); h.combine(runs); h.combine(testR2)
    }
}

/// The synthetic part of a report, and the count of records it does not tabulate.
public struct SyntheticSummary: Sendable {
    /// Sorted by SNR (descending, 20 dB before 15 dB as in the paper), model (ModelKind order), hidden.
    public var rows: [SummaryRow]
    /// Records of other kinds (theorems, noop), by kind name.
    public var otherKinds: [String: Int]
    /// Spec settings other than model, hidden, snr, realization and seed that differ between runs
    /// of one group (e.g. ["epochs", "lr"]); empty when every group is one configuration.
    public var mixedSettings: [String]
    /// Mean optimal R^2 per SNR over every synthetic run at that SNR.
    public var optimalBySNR: [Double: Double]
    /// Synthetic results by the build that produced them (`Provenance.buildVersion`), e.g. one
    /// store merged by `import` from two machines. More than one entry is flagged in the report.
    public var builds: [String: Int]

    public var snrs: [Double] { Array(Set(rows.map(\.snrDB))).sorted(by: >) }

    public init(records: [ResultRecord]) {
        struct Key: Hashable { var model: ModelKind; var hidden: Int; var snr: Double }
        var groups: [Key: [ResultRecord]] = [:]
        var other: [String: Int] = [:]
        var optimal: [Double: [Double]] = [:]
        var builds: [String: Int] = [:]
        for r in records {
            guard r.spec.kind == .synthetic, let s = r.spec.synthetic else {
                other[r.spec.kind.rawValue, default: 0] += 1
                continue
            }
            groups[Key(model: s.model, hidden: s.hidden, snr: s.snrDB), default: []].append(r)
            builds[r.provenance.buildVersion, default: 0] += 1
            if let o = r.outcome[.optimalR2] { optimal[s.snrDB, default: []].append(o) }
        }
        var mixed = Set<String>()
        rows = groups.map { key, runs in
            let r2 = runs.map { $0.outcome[.testR2] ?? .nan }
            let opt = SampleSummary(runs.compactMap { $0.outcome[.optimalR2] })
            mixed.formUnion(Self.differingSettings(runs.compactMap(\.spec.synthetic)))
            return SummaryRow(
                model: key.model, hidden: key.hidden, snrDB: key.snr, runs: runs.count,
                testR2: SampleSummary(r2),
                diverged: runs.filter { $0.outcome.status == .diverged }.count,
                guarded: runs.filter { ($0.outcome[.guardEvents] ?? 0) > 0 }.count,
                optimalR2: opt.mean,
                runsR2: runs.map { ($0.spec.synthetic!.realization, $0.outcome[.testR2] ?? .nan) })
        }
        let order = Dictionary(uniqueKeysWithValues: ModelKind.allCases.enumerated().map { ($1, $0) })
        rows.sort { a, b in
            if a.snrDB != b.snrDB { return a.snrDB > b.snrDB }
            if a.model != b.model { return order[a.model]! < order[b.model]! }
            return a.hidden < b.hidden
        }
        otherKinds = other
        self.builds = builds
        mixedSettings = mixed.sorted()
        optimalBySNR = optimal.compactMapValues { SampleSummary($0).mean }
    }

    /// Names of the settings that are not equal across `specs` (ignoring model, hidden, snr,
    /// realization, seed).
    static func differingSettings(_ specs: [SyntheticSpec]) -> [String] {
        guard let first = specs.first else { return [] }
        var out: [String] = []
        func check<T: Equatable>(_ name: String, _ get: (SyntheticSpec) -> T) {
            if specs.contains(where: { get($0) != get(first) }) { out.append(name) }
        }
        check("epochs", \.epochs); check("lr", \.learningRate); check("optimizer", \.optimizer)
        check("batch", \.batchSize); check("clip", \.clipNorm); check("sequences", \.sequences)
        check("steps", \.steps); check("train", \.trainSequences); check("inputs", \.inputs)
        check("teacher_hidden", \.teacherHidden); check("outputs", \.outputs); check("eps", \.eps)
        check("normalize_a", \.normalizeA); check("noise_rule", \.noiseRule)
        return out
    }
}
