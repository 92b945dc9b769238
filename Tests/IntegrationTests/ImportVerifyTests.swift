import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// A sweep run in two parts on two stores, merged with `import`, resumed without re-running
    /// anything, and checked with `verify` (real coordinator, worker and exec processes).
    @Suite struct ImportVerify {
        /// 2 realizations x rnn/urnn x hidden 2 = 4 tiny training jobs.
        static let sweep = """
            name: integ-import
            kind: synthetic
            grid:
              realization: 0..1
              model: [rnn, urnn]
            fixed:
              hidden: 2
              epochs: 2
              sequences: 20
              train: 14
              steps: 30

            """

        @Test(.timeLimit(.minutes(4)))
        func partsMergeResumeWithoutRerunAndVerifyBitForBit() throws {
            try Bin.require()
            let scratch = try Scratch("import")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweepPath = try scratch.write("integ-import.yaml", Self.sweep)

            // Machine A runs the whole sweep.
            let storeA = scratch.path("a.sqlite")
            let a = try cmd.coordinator(sweep: sweepPath, store: storeA, port: try freeLoopbackPort(),
                                        extra: ["--local-workers", "1", "--worker-slots", "2", "--heartbeat-ms", "200"], name: "a")
            try #require(a.waitExit(timeout: 120) && a.process.terminationStatus == 0, "sweep A failed\n\(a.diagnostics)")
            let all = try cmd.export(store: storeA)
            try #require(all.count == 4)

            // Half of it, gzip-compressed, is imported into machine B's fresh store.
            let half = all.prefix(2)
            let halfPath = try scratch.write("half.jsonl", try half.map { try JSON.string($0) }.joined(separator: "\n") + "\n")
            let gz = try runToEnd(URL(fileURLWithPath: "/usr/bin/env"), ["gzip", "-k", halfPath], in: scratch)
            try #require(gz.status == 0, "\(gz.stderr)")
            let storeB = scratch.path("b.sqlite")
            let imported = try runToEnd(Bin.coordinator, ["import", halfPath + ".gz", "--store", storeB], in: scratch)
            #expect(imported.status == 0 && imported.stdout.contains("imported 2 results"), "\(imported.stdout)\(imported.stderr)")
            let again = try runToEnd(Bin.coordinator, ["import", halfPath, "--store", storeB], in: scratch)
            #expect(again.status == 0 && again.stdout.contains("imported 0 results") && again.stdout.contains("2 already stored"))

            // The sweep resumes on B: only the two jobs without a result run.
            let b = try cmd.coordinator(sweep: sweepPath, store: storeB, port: try freeLoopbackPort(),
                                        extra: ["--local-workers", "1", "--worker-slots", "2", "--heartbeat-ms", "200", "--verbose"], name: "b")
            try #require(b.waitExit(timeout: 120) && b.process.terminationStatus == 0, "sweep B failed\n\(b.diagnostics)")
            let started = Set(WorkerLog.started(b.stderr))
            #expect(started == Set(all.suffix(2).map { String($0.jobID.prefix(8)) }), "B re-ran imported jobs: \(started)")
            let merged = try cmd.export(store: storeB)
            #expect(merged.count == 4 && merged.duplicateIDs.isEmpty)
            let byID = Dictionary(all.map { ($0.jobID, $0.outcome) }, uniquingKeysWith: { x, _ in x })
            #expect(merged.allSatisfy { byID[$0.jobID]!.bitwiseEqual($0.outcome) })

            // verify re-runs every stored job with urnn-worker exec: all bit-identical.
            let ok = try runToEnd(Bin.coordinator, ["verify", "--store", storeB, "--sample", "4", "--seed", "1", "--parallel", "2"],
                                  in: scratch, timeout: 120)
            #expect(ok.status == 0 && ok.stdout.contains("4 of 4 re-runs bit-identical"), "\(ok.stdout)\(ok.stderr)")

            // A record with another outcome for a stored job is refused as a whole, naming the job.
            var forged = all[0]
            forged.outcome.metrics["test_r2"] = 0.999
            let forgedPath = try scratch.write("forged.jsonl", try JSON.string(all[3]) + "\n" + JSON.string(forged) + "\n")
            let conflict = try runToEnd(Bin.coordinator, ["import", forgedPath, "--store", storeB], in: scratch)
            #expect(conflict.status != 0 && conflict.stderr.contains(forged.jobID) && conflict.stderr.contains("nothing was imported"),
                    "\(conflict.stderr)")
            #expect(!conflict.stderr.contains("Usage:"))

            // Into a fresh store the forged record goes in (its spec is genuine) -- and verify catches it.
            let storeC = scratch.path("c.sqlite")
            let intoC = try runToEnd(Bin.coordinator, ["import", forgedPath, "--store", storeC], in: scratch)
            #expect(intoC.status == 0, "\(intoC.stderr)")
            let caught = try runToEnd(Bin.coordinator, ["verify", "--store", storeC, "--job", forged.jobID], in: scratch, timeout: 60)
            #expect(caught.status == 1 && caught.stdout.contains("DIFFERS") && caught.stdout.contains("test_r2 0.999 ->"),
                    "\(caught.stdout)\(caught.stderr)")
        }

        @Test func badImportsAreRefusedBeforeAnythingIsWritten() throws {
            try Bin.require()
            let scratch = try Scratch("import-bad")
            let spec = JobSpec(noop: NoopSpec(token: 1))
            let good = ResultRecord(jobID: spec.id, spec: spec, outcome: JobOutcome(metrics: ["token": 1]),
                                    provenance: Provenance(host: "h", workerID: "w", buildVersion: "other-build", wallSeconds: 0))
            var altered = good
            altered.jobID = String(repeating: "0", count: 32)
            var twice = good
            twice.outcome.metrics["token"] = 2
            let store = scratch.path("s.sqlite")
            let cases: [(String, String)] = [
                ("{\"x\": 1}\n", "bad.jsonl:1: not a result record"),
                ("not json\n", "not JSON"),
                (try JSON.string(altered) + "\n", "is not the hash of its spec"),
                (try JSON.string(good) + "\n" + JSON.string(twice) + "\n", "has another outcome than at"),
            ]
            for (text, message) in cases {
                let path = try scratch.write("bad.jsonl", text)
                let f = try runToEnd(Bin.coordinator, ["import", path, "--store", store], in: scratch)
                #expect(f.status != 0 && f.stderr.contains(message), "\(message): \(f.stderr)")
                #expect(!FileManager.default.fileExists(atPath: store), "a refused import created the store")
            }
            let missing = try runToEnd(Bin.coordinator, ["import", scratch.path("nope.jsonl"), "--store", store], in: scratch)
            #expect(missing.status != 0 && missing.stderr.contains("no such file"))
            let zeroSample = try runToEnd(Bin.coordinator, ["verify", "--store", store, "--sample", "0"], in: scratch)
            #expect(zeroSample.status != 0 && zeroSample.stderr.contains("--sample must be in"))
            // A record from another build is accepted and said so.
            let path = try scratch.write("other.jsonl", try JSON.string(good) + "\n")
            let f = try runToEnd(Bin.coordinator, ["import", path, "--store", store], in: scratch)
            #expect(f.status == 0 && f.stdout.contains("from other builds") && f.stdout.contains("other-build 1"), "\(f.stdout)\(f.stderr)")

            // --only SWEEP keeps the records of that sweep's jobs and skips the rest.
            let sweepFile = try scratch.write("two.yaml", "name: two\nkind: noop\nfixed:\n  count: 2\n")
            let other = JobSpec(noop: NoopSpec(token: 7))
            let stranger = ResultRecord(jobID: other.id, spec: other, outcome: JobOutcome(metrics: ["token": 7]), provenance: good.provenance)
            let zero = JobSpec(noop: NoopSpec(token: 0))
            let member = ResultRecord(jobID: zero.id, spec: zero, outcome: JobOutcome(metrics: ["token": 0]), provenance: good.provenance)
            let mixed = try scratch.write("mixed.jsonl", try [stranger, member].map { try JSON.string($0) }.joined(separator: "\n"))
            let only = try runToEnd(Bin.coordinator, ["import", mixed, "--store", scratch.path("only.sqlite"), "--only", sweepFile], in: scratch)
            #expect(only.status == 0 && only.stdout.contains("imported 1 results") && only.stdout.contains("1 not in sweep two"),
                    "\(only.stdout)\(only.stderr)")
        }
    }
}
