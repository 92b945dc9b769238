import ArgumentParser
import Foundation
import Shared

/// `urnn-worker theory figures --out docs/theory`: runs the standard set of theorem jobs locally
/// (the same specs a sweep would send to workers), saves their records as JSON lines, and writes
/// the Markdown tables and SVG figures with `TheoryReport`. `--records FILE` re-reports saved records.
struct TheoryFiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures", abstract: "Run the standard theorem jobs and write docs-ready tables and figures.")
    @Option(help: "Output directory.") var out: String = "docs/theory"
    @Option(help: "Re-report these saved records (JSON lines) instead of running jobs.") var records: String?
    @Flag(help: "A tiny set, for smoke tests.") var quick = false
    @Flag(help: "Print progress to stderr.") var verbose = false

    /// The standard set: Theorem 1 certificates over sizes and norms (and a refused batch),
    /// Theorem 2 for n = 1...4, Theorem 3 for n = 1, 2 (ReLU students) and n = 1 (sigmoid students).
    static func standardSpecs(quick: Bool) -> [JobSpec] {
        var specs: [JobSpec] = []
        func t1(_ n: Int, _ seed: Int, wNorm: Double? = nil) {
            var s = TheorySpec(n: n, seed: seed); s.wNorm = wNorm
            if quick { s.steps = 500 }
            specs.append(JobSpec(kind: .theorem1, theory: s))
        }
        for n in quick ? [1, 2] : [1, 2, 4, 8, 16, 32, 64] { for seed in 0..<(quick ? 2 : 10) { t1(n, seed) } }
        if !quick {
            for n in [4, 16] { for seed in 0..<5 { t1(n, seed, wNorm: 0.999) } }
            for seed in 0..<3 { t1(4, seed, wNorm: 1.0) }
        }
        for n in quick ? [1] : [1, 2, 3, 4] {
            for seed in 0..<(quick ? 1 : 3) {
                var s = TheorySpec(n: n, seed: seed)
                if quick { s.iterations = 100; s.restarts = 1 }
                specs.append(JobSpec(kind: .theorem2, theory: s))
            }
        }
        for (n, student) in quick ? [(1, Activation?.none)] : [(1, nil), (2, nil), (1, .sigmoid)] {
            var s = TheorySpec(n: n, seed: 0)
            s.student = student
            if quick { s.iterations = 100; s.restarts = 1; s.mValues = [2, 4] }
            specs.append(JobSpec(kind: .theorem3, theory: s))
        }
        return specs
    }

    func run() throws {
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var results: [ResultRecord] = []
        if let path = records {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.isEmpty {
                results.append(try JSON.decode(ResultRecord.self, from: Data(line.utf8)))
            }
        } else {
            let host = ProcessInfo.processInfo.hostName
            let log: @Sendable (String) -> Void = { [verbose] line in
                if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            var lines = ""
            for (i, spec) in Self.standardSpecs(quick: quick).enumerated() {
                log("[\(i + 1)] \(spec.summary)")
                let start = Date()
                let outcome = try JobExecutor.run(spec, progress: log)
                let rec = ResultRecord(jobID: spec.id, spec: spec, outcome: outcome,
                                       provenance: Provenance(host: host, workerID: "theory-figures", buildVersion: BuildInfo.build,
                                                              wallSeconds: Date().timeIntervalSince(start)))
                results.append(rec)
                lines += try JSON.string(rec) + "\n"
            }
            try lines.write(to: dir.appendingPathComponent("records.jsonl"), atomically: true, encoding: .utf8)
        }
        for url in try TheoryReport.write(records: results, to: dir) { print(url.path) }
    }
}
