import Foundation
import Testing
@testable import Shared

@Suite struct TheoryReportTests {
    func record(_ kind: JobKind, _ spec: TheorySpec, _ outcome: JobOutcome) -> ResultRecord {
        let job = JobSpec(kind: kind, theory: spec)
        return ResultRecord(jobID: job.id, spec: job, outcome: outcome,
                            provenance: Provenance(host: "h", workerID: "w", buildVersion: BuildInfo.version, wallSeconds: 1))
    }

    @Test func writesTablesAndFigures() throws {
        var recs: [ResultRecord] = []
        for seed in 0..<2 {
            recs.append(record(.theorem1, TheorySpec(n: 3, seed: seed), JobOutcome(metrics: [
                "certified": 1, "refused": 0, "orthogonality_error": 2e-16 * Double(seed + 1), "max_output_rel_error": 0,
                "max_extra_state": 0, "bias_margin": 3.5 - Double(seed), "break_input_scale": 16])))
            let ms = [2.0, 3, 4]
            recs.append(record(.theorem2, TheorySpec(n: 2, seed: seed), JobOutcome(
                metrics: ["best_error_m=2": 0.2 + Double(seed) * 0.1, "best_error_m=3": 0.1, "best_error_m=4": 0,
                          "best_random_error_m=2": 0.5, "best_random_error_m=3": 0.2, "best_random_error_m=4": 0.01],
                series: ["m": ms, "best_error": [0.2, 0.1, 0]])))
        }
        recs.append(record(.noop, TheorySpec(n: 1), JobOutcome()))   // ignored (kind noop)
        recs.append(record(.theorem3, TheorySpec(n: 1, seed: 0), JobOutcome(
            metrics: ["best_error_m=2": 0.03, "best_error_m=32": 0.003, "relu_teacher_best_error_m=2": 0, "relu_teacher_best_error_m=32": 0],
            series: ["m": [2, 32]])))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theory-report-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let urls = try TheoryReport.write(records: recs, to: dir)
        #expect(urls.map(\.lastPathComponent) == ["theory.md", "theorem2.svg", "theorem3.svg"])
        let md = try String(contentsOf: urls[0], encoding: .utf8)
        #expect(md.contains("| 3 | 0.9 | 2 | 2 | 0 | 4.00000e-16 | 0 | 0 | 2.5 | 16 |"), "\(md)")
        #expect(md.contains("| 2 | 0.25 (0.2–0.3) | 0.5 (0.5–0.5) |"), "\(md)")
        #expect(md.contains("| 4 (2n) | 0 (0–0) |"))
        #expect(md.contains("| 32 | 0.003 | 0 | - |"), "\(md)")
        let svg = try String(contentsOf: urls[1], encoding: .utf8)
        #expect(svg.contains("data-series=\"best, all starts\"") && svg.contains("data-label=\"exact fit (0 drawn here)\""))
    }
}
