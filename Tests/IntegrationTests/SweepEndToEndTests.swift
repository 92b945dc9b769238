import Foundation
import Shared
import Testing

/// The process-heavy tests run one at a time: they share 2 cores, and heartbeats of 200 ms
/// should not have to compete with each other's coordinators and workers.
@Suite(.serialized) struct LiveSweeps {}

extension LiveSweeps {
    /// A whole synthetic sweep through coordinator + 2 local worker processes on loopback.
    @Suite struct EndToEnd {
        /// 2 realizations x hidden {2, 3} x rnn/urnn/lstm = 12 tiny training jobs.
        static let sweep = """
            name: integ-synthetic
            kind: synthetic
            description: integration test, 12 tiny synthetic jobs
            grid:
              realization: 0..1
              hidden: [2, 3]
              model: [rnn, urnn, lstm]
            fixed:
              snr: 20
              epochs: 2
              sequences: 20
              train: 14
              steps: 30

            """

        @Test(.timeLimit(.minutes(3)))
        func syntheticSweepCompletesAndEveryStoredOutcomeIsReproducible() throws {
            try Bin.require()
            let scratch = try Scratch("e2e")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweepPath = try scratch.write("integ-synthetic.yaml", Self.sweep)
            let store = scratch.path("e2e.sqlite")
            let port = try freeLoopbackPort()

            let coordinator = try cmd.coordinator(sweep: sweepPath, store: store, port: port,
                                                  extra: ["--local-workers", "2", "--worker-slots", "1", "--heartbeat-ms", "200"])
            try #require(coordinator.waitExit(timeout: 120), "sweep did not finish in 120 s\n\(children.diagnostics)")
            #expect(coordinator.process.terminationReason == .exit && coordinator.process.terminationStatus == 0,
                    "coordinator failed\n\(coordinator.diagnostics)")

            // Two local worker processes took part and both said hello.
            let log = coordinator.stderr
            let hellos = Set(log.split(separator: "\n").compactMap { line -> Substring? in
                guard let r = line.range(of: "hello from ") else { return nil }
                return line[r.upperBound...].split(separator: " ").first
            })
            #expect(hellos.count == 2, "expected 2 local workers to say hello, got \(hellos)")

            let status = try cmd.status(store: store)
            #expect(status.total == 12 && status.done == 12)
            #expect(status.failed == 0 && status.pending == 0 && status.leased == 0)
            #expect(status.coordinator == "stopped")

            let records = try cmd.export(store: store)
            #expect(records.count == 12)
            #expect(records.duplicateIDs.isEmpty)
            // The stored jobs are exactly the grid, each under the id of its own spec.
            let points = Set(records.compactMap { r -> String? in
                guard let s = r.spec.synthetic else { return nil }
                return "\(s.model.rawValue)-\(s.hidden)-\(s.realization)-\(s.epochs)-\(s.sequences)-\(s.trainSequences)-\(s.steps)"
            })
            var grid = Set<String>()
            for m in ["rnn", "urnn", "lstm"] { for h in [2, 3] { for r in 0...1 { grid.insert("\(m)-\(h)-\(r)-2-20-14-30") } } }
            #expect(points == grid)
            for r in records {
                #expect(r.spec.id == r.jobID, "job id is not the hash of its spec")
                #expect(r.provenance.workerID.hasPrefix("local-") && hellos.contains(Substring(r.provenance.workerID)))
                #expect(r.provenance.buildVersion == BuildInfo.build && !r.provenance.host.isEmpty)
                #expect(r.provenance.wallSeconds > 0)
                #expect(r.outcome.metrics["test_r2"] != nil, "no test_r2 in \(r.outcome.metrics.keys.sorted())")
            }

            try expectReproducible(records, scratch: scratch, children: children)
            try expectStandaloneRunAgrees(records, scratch: scratch)
            try expectReport(in: scratch.path("coordinator-report"))
            // `report` on the stopped store writes the same table the run left behind.
            let again = scratch.path("report-again")
            let f = try runToEnd(Bin.coordinator, ["report", "--store", store, "--out", again], in: scratch)
            #expect(f.status == 0, "\(f.stderr)")
            try expectReport(in: again)
            #expect(try String(contentsOfFile: again + "/summary.csv", encoding: .utf8)
                    == (try String(contentsOfFile: scratch.path("coordinator-report/summary.csv"), encoding: .utf8)))
        }

        /// `urnn-worker exec --spec` of every stored spec gives the stored outcome, bit for bit
        /// (the same canonical JSON). Two at a time, one per core.
        func expectReproducible(_ records: [ResultRecord], scratch: Scratch, children: Children) throws {
            var pending = records[...]
            while !pending.isEmpty {
                let batch = pending.prefix(2)
                pending = pending.dropFirst(2)
                var running: [(ResultRecord, Child)] = []
                for r in batch {
                    let specPath = try scratch.write("spec-\(r.jobID).json", try JSON.string(r.spec))
                    running.append((r, try children.start(Bin.worker, ["exec", "--spec", specPath, "--quiet"],
                                                          name: "exec-\(r.jobID.prefix(8))")))
                }
                for (r, c) in running {
                    try #require(c.waitExit(timeout: 60), "exec of \(r.jobID) did not finish\n\(c.diagnostics)")
                    #expect(c.process.terminationStatus == 0, "\(c.diagnostics)")
                    let printed = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    let stored = try JSON.string(r.outcome)
                    #expect(printed == stored, "job \(r.jobID) (\(r.spec.summary)): exec gives\n\(printed)\nstored\n\(stored)")
                    let again = try JSON.decode(JobOutcome.self, from: Data(printed.utf8))
                    #expect(again.bitwiseEqual(r.outcome), "job \(r.jobID): outcomes differ bitwise")
                }
            }
        }

        /// `urnn-worker run` with the options that spell one stored spec prints the stored outcome.
        func expectStandaloneRunAgrees(_ records: [ResultRecord], scratch: Scratch) throws {
            let r = try #require(records.first { $0.spec.synthetic?.model == .urnn })
            let s = try #require(r.spec.synthetic)
            let f = try runToEnd(Bin.worker, ["run", "--json", "--quiet", "--model", s.model.rawValue, "--hidden", String(s.hidden),
                                              "--snr", String(s.snrDB), "--realization", String(s.realization),
                                              "--seed", String(s.seed), "--epochs", String(s.epochs),
                                              "--sequences", String(s.sequences), "--train-sequences", String(s.trainSequences),
                                              "--steps", String(s.steps)], in: scratch, timeout: 60)
            #expect(f.status == 0, "\(f.stderr)")
            #expect(f.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == (try JSON.string(r.outcome)),
                    "urnn-worker run disagrees with the stored outcome of \(r.spec.summary)")
        }

        /// The report folder has the summary table (one row per model x hidden, 2 runs each) and a figure.
        func expectReport(in dir: String) throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(files.contains("summary.csv") && files.contains("summary.md"), "report has \(files)")
            #expect(files.contains { $0.hasPrefix("fig-") && $0.hasSuffix(".svg") }, "no figure in \(files)")
            let csv = try String(contentsOfFile: dir + "/summary.csv", encoding: .utf8)
            let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = try #require(lines.first)
            let runs = try #require(header.firstIndex(of: "runs")), model = try #require(header.firstIndex(of: "model"))
            let rows = lines.dropFirst()
            #expect(rows.count == 6, "expected 6 rows (3 models x 2 sizes):\n\(csv)")
            #expect(rows.allSatisfy { $0.count == header.count && $0[runs] == "2" }, "\(csv)")
            #expect(Set(rows.map { $0[model] }) == ["rnn", "urnn", "lstm"])
            if let svg = files.first(where: { $0.hasSuffix(".svg") }) {
                let text = try String(contentsOfFile: dir + "/" + svg, encoding: .utf8)
                #expect(text.hasPrefix("<svg") || text.hasPrefix("<?xml"))
            }
        }
    }
}
