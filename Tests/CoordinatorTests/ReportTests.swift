import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import Coordinator
@testable import Shared

@Suite struct ReportTests {
    static func record(_ model: ModelKind, _ hidden: Int, snr: Double, realization: Int, r2: Double?,
                       optimal: Double? = nil, status: JobOutcome.Status = .ok, guardEvents: Double? = nil,
                       epochs: Int = 100) -> ResultRecord {
        let spec = JobSpec(synthetic: SyntheticSpec(model: model, hidden: hidden, snrDB: snr, realization: realization, epochs: epochs))
        var metrics: [String: Double] = [:]
        if let r2 { metrics["test_r2"] = r2 }
        if let optimal { metrics["optimal_r2"] = optimal }
        if let guardEvents { metrics["guard_events"] = guardEvents }
        return ResultRecord(jobID: spec.id, spec: spec, outcome: JobOutcome(status: status, metrics: metrics),
                            provenance: Provenance(host: "h", workerID: "w", buildVersion: "v", wallSeconds: 1))
    }

    /// A small hand-made result set: two SNRs, a diverged run, a guarded run, other kinds.
    static let records: [ResultRecord] = {
        var r: [ResultRecord] = [
            record(.rnn, 2, snr: 20, realization: 0, r2: 0.8, optimal: 0.99),
            record(.rnn, 2, snr: 20, realization: 1, r2: 0.9, optimal: 0.99, guardEvents: 2),
            record(.rnn, 2, snr: 20, realization: 2, r2: .nan, optimal: 0.99, status: .diverged),
            record(.rnn, 4, snr: 20, realization: 0, r2: 0.95, optimal: 0.98, guardEvents: 0),
            record(.rnn, 4, snr: 20, realization: 1, r2: 0.97, optimal: 1.0),
            record(.urnn, 4, snr: 20, realization: 0, r2: 0.85, optimal: 0.99),
            record(.lstm, 2, snr: 20, realization: 0, r2: 0.7, optimal: 0.99),
            record(.lstm, 2, snr: 20, realization: 1, r2: 0.8, optimal: 0.99),
            record(.lstm, 2, snr: 20, realization: 2, r2: 0.9, optimal: 0.99),
            record(.rnn, 2, snr: 15, realization: 0, r2: 0.6, optimal: 0.969),
            record(.rnn, 2, snr: 15, realization: 1, r2: nil, optimal: 0.969),
        ]
        let t = JobSpec(kind: .theorem1, theory: TheorySpec(n: 3, seed: 1))
        r.append(ResultRecord(jobID: t.id, spec: t, outcome: JobOutcome(metrics: ["max_rel_error": 1e-15]),
                              provenance: Provenance(host: "h", workerID: "w", buildVersion: "v", wallSeconds: 1)))
        for token in 0..<3 {
            let n = JobSpec(noop: NoopSpec(token: token))
            r.append(ResultRecord(jobID: n.id, spec: n, outcome: JobOutcome(metrics: ["token": Double(token)]),
                                  provenance: Provenance(host: "h", workerID: "w", buildVersion: "v", wallSeconds: 0)))
        }
        return r
    }()

    func close(_ a: Double?, _ b: Double, tol: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tol
    }

    @Test func summaryHasTheHandComputedNumbers() throws {
        let s = SyntheticSummary(records: Self.records)
        #expect(s.rows.map { "\(SweepFormat.number($0.snrDB))/\($0.model.rawValue)/\($0.hidden)" }
                == ["20/rnn/2", "20/rnn/4", "20/urnn/4", "20/lstm/2", "15/rnn/2"])
        let rnn2 = s.rows[0]
        #expect(rnn2.runs == 3 && rnn2.testR2.count == 2 && rnn2.testR2.nonFinite == 1)
        #expect(close(rnn2.testR2.mean, 0.85) && close(rnn2.testR2.median, 0.85))
        #expect(close(rnn2.testR2.standardDeviation, 0.005.squareRoot()))
        // t(0.975, 1) = 12.7062; half width = 12.7062 * sqrt(0.005) / sqrt(2) = 12.7062 * 0.05.
        #expect(close(rnn2.testR2.ci95Low, 0.85 - 0.63531, tol: 1e-6) && close(rnn2.testR2.ci95High, 0.85 + 0.63531, tol: 1e-6))
        #expect(rnn2.diverged == 1 && rnn2.guarded == 1)
        #expect(close(rnn2.optimalR2, 0.99))
        #expect(close(s.rows[1].optimalR2, 0.99) && s.rows[1].guarded == 0)
        #expect(s.rows[2].testR2.count == 1 && s.rows[2].testR2.standardDeviation == nil)
        #expect(close(s.rows[3].testR2.mean, 0.8) && close(s.rows[3].testR2.standardDeviation, 0.1))
        // A run with no test_r2 at all counts as non-finite.
        #expect(s.rows[4].runs == 2 && s.rows[4].testR2.count == 1 && s.rows[4].testR2.nonFinite == 1)
        #expect(s.otherKinds == ["theorem1": 1, "noop": 3])
        #expect(s.snrs == [20, 15])
        #expect(close(s.optimalBySNR[20], (0.99 * 7 + 0.98 + 1.0) / 9))
        #expect(close(s.optimalBySNR[15], 0.969))
        #expect(s.mixedSettings.isEmpty)
    }

    @Test func writesCSVMarkdownAndOneFigurePerSNR() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let urls = try Report.write(records: Self.records, to: dir)
        // The records include a theorem1 result, so the theory tables come along.
        #expect(urls.map(\.lastPathComponent) == ["summary.csv", "summary.md", "fig-snr20.svg", "fig-snr15.svg", "theory.md"])

        let csv = try String(contentsOf: dir.appendingPathComponent("summary.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.count == 6)
        let header = lines[0]
        #expect(header == ReportTables.csvHeader)
        func col(_ row: [String], _ name: String) -> String { row[header.firstIndex(of: name)!] }
        let rnn2 = lines[1]
        #expect(col(rnn2, "snr_db") == "20" && col(rnn2, "model") == "rnn" && col(rnn2, "hidden") == "2")
        #expect(col(rnn2, "runs") == "3" && col(rnn2, "r2_count") == "2" && col(rnn2, "r2_nonfinite") == "1")
        #expect(close(Double(col(rnn2, "r2_mean")), 0.85) && close(Double(col(rnn2, "r2_sd")), 0.005.squareRoot()))
        #expect(col(rnn2, "diverged") == "1" && col(rnn2, "guarded") == "1")
        #expect(close(Double(col(rnn2, "optimal_r2")), 0.99))
        let urnn4 = lines[3]
        #expect(col(urnn4, "model") == "urnn" && col(urnn4, "r2_sd") == "" && col(urnn4, "r2_ci95_low") == "")
        #expect(!csv.lowercased().contains("nan"))

        let md = try String(contentsOf: dir.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(md.contains("15 stored results: 11 synthetic, 3 noop, 1 theorem1."))
        #expect(md.contains("## SNR 20 dB") && md.contains("## SNR 15 dB"))
        #expect(md.contains("| rnn | 2 | 3 | 0.8500 | [0.2147, 1.4853] | 0.8500 | [0.8250, 0.8750] | 0.0707 | 1 | 1 | 1 |"))
        #expect(md.contains("| urnn | 4 | 1 | 0.8500 | – | 0.8500 | [0.8500, 0.8500] | – | 0 | 0 | 0 |"))
        #expect(!md.contains("nan"))
        // Job time: 11 synthetic results of 1 s each against the cost model's estimate for their specs.
        let estimate = Self.records.filter { $0.spec.kind == .synthetic }.map { CostModel().cpuSeconds($0.spec) }.reduce(0, +)
        #expect(md.contains("## Job time"))
        #expect(md.contains("| all | 11 | 11 s | \(CostModel.format(seconds: estimate)) | \(String(format: "%.2f", 11 / estimate)) |"))
        #expect(md.contains("| rnn | 7 | 7 s |"))

        let svg = try String(contentsOf: dir.appendingPathComponent("fig-snr20.svg"), encoding: .utf8)
        let (ok, c, err) = XMLCollector.parse(svg)
        #expect(ok, "fig-snr20.svg is not well-formed: \(err)")
        let series = c.elements.filter { $0.attributes["class"] == "series" }.compactMap { $0.attributes["data-series"] }
        // Per panel: the single runs as faint clouds (out of the legend), then the mean curves.
        #expect(series == ["RNN runs", "URNN runs", "LSTM runs", "RNN", "URNN", "LSTM",
                           "RNN runs", "URNN runs", "LSTM runs", "RNN", "URNN (hidden / 2)", "LSTM"])
        // RNN at 20 dB: runs 0.8 and 0.9 at hidden 2 (the diverged NaN is not drawn) and 0.95, 0.97 at hidden 4.
        let rnnRuns = c.elements.firstIndex { $0.attributes["data-series"] == "RNN runs" }!
        let dots = c.elements[(rnnRuns + 1)...].prefix { $0.attributes["class"] != "series" }.filter { $0.name == "circle" }
        #expect(dots.count == 4)
        #expect(!c.text.contains("RNN runs"))  // not in the legend
        let refs = c.elements.filter { $0.attributes["class"] == "reference" }.compactMap { $0.attributes["data-label"] }
        #expect(refs.count == 2 && refs.allSatisfy { $0.hasPrefix("optimal 0.99") })
        #expect(c.text.contains("adjusted hidden units"))
        let fig15 = try String(contentsOf: dir.appendingPathComponent("fig-snr15.svg"), encoding: .utf8)
        let (ok15, c15, _) = XMLCollector.parse(fig15)
        #expect(ok15)
        #expect(c15.elements.filter { $0.attributes["class"] == "series" }.compactMap { $0.attributes["data-series"] }
                == ["RNN runs", "RNN", "RNN runs", "RNN"])
    }

    @Test func adjustedPanelHalvesURNNHiddenUnits() {
        let fig = ReportFigures.figure(SyntheticSummary(records: Self.records), snr: 20)
        let plain = fig.panels[0].series.first { $0.name == "URNN" }!
        let adjusted = fig.panels[1].series.first { $0.name.hasPrefix("URNN") }!
        #expect(plain.points.map(\.x) == [4])
        #expect(adjusted.points.map(\.x) == [2])
        #expect(fig.panels[1].series.first { $0.name == "RNN" }!.points.map(\.x) == [2, 4])
    }

    @Test func onlyOtherKindsOrNothingStillWrites() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let others = Self.records.filter { $0.spec.kind != .synthetic }
        let urls = try Report.write(records: others, to: dir)
        #expect(urls.map(\.lastPathComponent) == ["summary.csv", "summary.md", "theory.md"])
        let md = try String(contentsOf: urls[1], encoding: .utf8)
        #expect(md.contains("4 stored results: 0 synthetic, 3 noop, 1 theorem1.") && md.contains("No synthetic results yet."))
        #expect(try Report.write(records: [], to: dir).count == 2)
        // Without theorem results there are no theory tables.
        #expect(try Report.write(records: others.filter { $0.spec.kind == .noop }, to: dir).map(\.lastPathComponent)
                == ["summary.csv", "summary.md"])
    }

    @Test func mixedConfigurationsAreFlagged() {
        let recs = [Self.record(.rnn, 2, snr: 20, realization: 0, r2: 0.8, epochs: 10),
                    Self.record(.rnn, 2, snr: 20, realization: 1, r2: 0.9, epochs: 100)]
        let s = SyntheticSummary(records: recs)
        #expect(s.mixedSettings == ["epochs"])
        #expect(ReportTables.markdown(s, totalRecords: 2).contains("differ in epochs"))
    }

    @Test func reportCommandOptions() throws {
        let cmd = try ReportCommand.parse(["--store", "x.sqlite"])
        #expect(cmd.out == "report" && cmd.store == "x.sqlite")
        #expect(try ReportCommand.parse(["--store", "a", "--out", "b"]).out == "b")
        #expect(throws: (any Error).self) { try ReportCommand.parse([]) }
    }
}
