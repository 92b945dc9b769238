import Foundation
import Shared

/// Turns stored results into the paper's tables and figures.
///
/// Writes into `dir` (created if needed):
/// - `summary.csv`: one row per (snr, model, hidden), every statistic of test R^2 (see `ReportTables`);
/// - `summary.md`: the same as Markdown tables, one per SNR, plus counts of records of other kinds;
/// - `fig-snr<SNR>.svg` per SNR: Figure 2/3 style, test R^2 against hidden units (left) and
///   against "adjusted" hidden units, URNN at half its hidden units (right).
/// - `ablation-<SWEEP>.md` and `.csv` for every sweep in `sweeps` that has variants (`AblationSummary`).
/// Records of kinds it does not tabulate (theorems, noop) are counted, never an error.
public enum Report {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var underlying: String
        public var description: String { "cannot write \(path): \(underlying)" }
    }

    /// Writes the report files and returns their URLs (CSV, Markdown, then one SVG per SNR).
    @discardableResult
    public static func write(records: [ResultRecord], sweeps: [Sweep] = [], to dir: URL) throws -> [URL] {
        let summary = SyntheticSummary(records: records)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: dir.path, underlying: error.localizedDescription)
        }
        var files: [(String, String)] = [
            ("summary.csv", ReportTables.csv(summary)),
            ("summary.md", ReportTables.markdown(summary, totalRecords: records.count, records: records)),
        ]
        for snr in summary.snrs {
            files.append((ReportFigures.fileName(snr: snr), ReportFigures.figure(summary, snr: snr).svg()))
        }
        let byID = Dictionary(records.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
        for sweep in sweeps where !sweep.variants.isEmpty {
            let ablation = AblationSummary(sweep: sweep, records: byID)
            files.append(("ablation-\(sweep.name).md", ablation.markdown()))
            files.append(("ablation-\(sweep.name).csv", ablation.csv()))
        }
        var urls: [URL] = []
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
                throw WriteError(path: url.path, underlying: error.localizedDescription)
            }
            urls.append(url)
        }
        // pMNIST (Figure 4) gets its own tables and figure.
        if records.contains(where: { $0.spec.kind == .pmnist }) {
            urls += try PMNISTReport.write(records: records, to: dir)
        }
        // Theorem demonstrations get their own tables and error-vs-m figures.
        if records.contains(where: { [.theorem1, .theorem2, .theorem3].contains($0.spec.kind) }) {
            urls += try TheoryReport.write(records: records, to: dir)
        }
        return urls
    }
}

/// The CSV and Markdown renderings of a `SyntheticSummary`.
enum ReportTables {
    static let csvHeader = [
        "snr_db", "model", "hidden", "runs", "r2_count", "r2_nonfinite", "r2_mean", "r2_median", "r2_q1", "r2_q3", "r2_sd",
        "r2_ci95_low", "r2_ci95_high", "r2_min", "r2_max", "diverged", "guarded", "optimal_r2",
    ]

    /// Numbers in shortest round-trip form; an absent statistic is an empty field.
    static func csv(_ s: SyntheticSummary) -> String {
        func n(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        var table = TextTable(columns: csvHeader)
        for r in s.rows {
            let t = r.testR2
            table.rows.append([
                SweepFormat.number(r.snrDB), r.model.rawValue, String(r.hidden), String(r.runs), String(t.count),
                String(t.nonFinite), n(t.mean), n(t.median), n(t.q1), n(t.q3), n(t.standardDeviation), n(t.ci95Low), n(t.ci95High),
                n(t.min), n(t.max), String(r.diverged), String(r.guarded), n(r.optimalR2),
            ])
        }
        return table.csv()
    }

    static func markdown(_ s: SyntheticSummary, totalRecords: Int, records: [ResultRecord] = []) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }
        var o = "# Results\n\n"
        let synthetic = s.rows.map(\.runs).reduce(0, +)
        o += "\(totalRecords) stored results: \(synthetic) synthetic"
        for (kind, n) in s.otherKinds.sorted(by: { $0.key < $1.key }) { o += ", \(n) \(kind)" }
        o += ".\n\n"
        if !s.mixedSettings.isEmpty {
            o += "**Note:** runs grouped in one row differ in " + s.mixedSettings.joined(separator: ", ")
                + "; the statistics mix those configurations.\n\n"
        }
        if s.builds.count > 1 {
            o += "**Note:** these results come from \(s.builds.count) builds ("
                + s.builds.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                + "), e.g. parts imported from other machines; a job's outcome is a function of its spec, but a "
                + "build that changed the training core may differ in the last digits.\n\n"
        }
        if s.rows.isEmpty { return o + "No synthetic results yet.\n" }
        o += "Test R² over realizations. *95% CI* is the Student-t interval of the mean; *IQR* the interquartile "
            + "range [25%, 75%] around the median (small hidden sizes are skewed); runs whose R² is "
            + "missing or non-finite are left out of every statistic and counted under *non-finite*. "
            + "*Diverged*: runs the divergence guard could not save; *guard*: runs where it intervened.\n"
        for snr in s.snrs {
            o += "\n## SNR \(SweepFormat.number(snr)) dB\n\n"
            if let opt = s.optimalBySNR[snr] { o += "Optimal R² (noiseless teacher output): \(f(opt)).\n\n" }
            o += table(s, snr: snr).markdown()
        }
        return o + timeSection(records)
    }

    /// The table of one SNR as summary.md shows it (and the web view's results page).
    static func table(_ s: SyntheticSummary, snr: Double) -> TextTable {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }
        var table = TextTable(
            columns: ["model", "hidden", "runs", "mean R²", "95% CI of mean", "median", "IQR", "sd", "diverged", "guard", "non-finite"],
            alignments: [.left, .right, .right, .right, .left, .right, .left, .right, .right, .right, .right])
        for r in s.rows where r.snrDB == snr {
            let t = r.testR2
            let ci = t.ci95Low.map { "[\(f($0)), \(f(t.ci95High))]" } ?? "–"
            let iqr = t.q1.map { "[\(f($0)), \(f(t.q3))]" } ?? "–"
            table.rows.append([r.model.rawValue, String(r.hidden), String(r.runs), f(t.mean), ci, f(t.median), iqr,
                               f(t.standardDeviation), String(r.diverged), String(r.guarded), String(t.nonFinite)])
        }
        return table
    }

    /// Measured job time (the workers' wall seconds per job, one thread each) against `plan`'s
    /// estimate for the same jobs, per model: the ratio is the `--scale` that calibrates `plan`.
    /// Wall time over-counts CPU time when the machine runs other work.
    static func timeSection(_ records: [ResultRecord]) -> String {
        let synthetic = records.filter { $0.spec.kind == .synthetic }
        guard !synthetic.isEmpty else { return "" }
        let model = CostModel()
        var t = TextTable(columns: ["model", "jobs", "measured job time", "plan's estimate", "measured / estimate"],
                          alignments: [.left, .right, .right, .right, .right])
        var all = (n: 0, measured: 0.0, estimated: 0.0)
        for m in ModelKind.allCases {
            let group = synthetic.filter { $0.spec.synthetic?.model == m }
            guard !group.isEmpty else { continue }
            let measured = group.map(\.provenance.wallSeconds).reduce(0, +)
            let estimated = group.map { model.cpuSeconds($0.spec) }.reduce(0, +)
            all = (all.n + group.count, all.measured + measured, all.estimated + estimated)
            t.rows.append([m.rawValue, String(group.count), CostModel.format(seconds: measured),
                           CostModel.format(seconds: estimated), String(format: "%.2f", measured / max(estimated, 1e-9))])
        }
        t.rows.append(["all", String(all.n), CostModel.format(seconds: all.measured), CostModel.format(seconds: all.estimated),
                       String(format: "%.2f", all.measured / max(all.estimated, 1e-9))])
        return "\n## Job time\n\nEach job's wall time on its worker (one thread per job), summed, against `plan`'s "
            + "CPU-time estimate for the same jobs; the ratio is the `plan --scale` that calibrates the cost model on "
            + "these machines. Wall time exceeds CPU time when the workers share their cores with other work.\n\n"
            + t.markdown()
    }
}
