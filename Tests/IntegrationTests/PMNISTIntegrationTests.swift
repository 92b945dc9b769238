import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// pMNIST through the real coordinator and worker processes: the smoke preset, and a worker
    /// killed with SIGKILL in the middle of a job, restarted with the same checkpoint directory.
    @Suite struct PMNIST {
        static let dataDirectory = Bin.packageRoot.appendingPathComponent("data/mnist5k").path

        /// The shipped sweeps/pmnist-smoke.yaml with `data` made absolute (children run in any directory).
        static func smokeSweep() throws -> String {
            let text = try String(contentsOf: Bin.packageRoot.appendingPathComponent("sweeps/pmnist-smoke.yaml"), encoding: .utf8)
            #expect(text.contains("data: data/mnist5k"))
            return text.replacingOccurrences(of: "data: data/mnist5k", with: "data: \(dataDirectory)")
        }

        @Test(.timeLimit(.minutes(5)))
        func smokePresetRunsThroughCoordinatorAndWorkers() throws {
            try Bin.require()
            let scratch = try Scratch("pmnist-smoke")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("pmnist-smoke.yaml", try Self.smokeSweep())
            let store = scratch.path("pmnist.sqlite")
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: try freeLoopbackPort(),
                                                  extra: ["--local-workers", "2", "--worker-slots", "1", "--heartbeat-ms", "200"])
            try #require(coordinator.waitExit(timeout: 280), "pmnist-smoke did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            let status = try cmd.status(store: store)
            #expect(status.total == 8 && status.done == 8 && status.failed == 0)
            let records = try cmd.export(store: store)
            #expect(records.count == 8)
            for r in records {
                let acc = try #require(r.outcome.metrics["test_accuracy"])
                #expect(r.outcome.status == .ok && r.outcome.series["validation_accuracy"]?.count == 3, "\(r.spec.summary)")
                // Measured 0.19-0.29 in this configuration (chance 0.1).
                #expect(acc > 0.13, "\(r.spec.summary): test accuracy \(acc)")
            }
            // The report has the pMNIST table (8 rows) and figure.
            let dir = scratch.path("coordinator-report")
            let csv = try String(contentsOfFile: dir + "/pmnist-summary.csv", encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 9, "\(csv)")
            let svg = try String(contentsOfFile: dir + "/fig-pmnist.svg", encoding: .utf8)
            #expect(svg.contains("<svg") && svg.contains("Validation accuracy of the best run"))
        }

        /// A worker with --checkpoint-dir is killed with SIGKILL after its job wrote the checkpoint
        /// of epoch 2; the coordinator requeues the job, a worker restarted on the same directory
        /// resumes it, and the stored outcome equals an uninterrupted `urnn-worker exec` bit for bit.
        @Test(.timeLimit(.minutes(5)))
        func killedWorkerResumesFromItsCheckpointBitIdentically() throws {
            try Bin.require()
            let scratch = try Scratch("pmnist-kill")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("pmnist-kill.yaml", """
                name: integ-pmnist-kill
                kind: pmnist
                description: one pmnist job, killed mid-way
                grid:
                  hidden: [8]
                fixed:
                  model: urnn
                  data: \(Self.dataDirectory)
                  pool: 7
                  train_limit: 2000
                  validation: 200
                  test_limit: 200
                  epochs: 6
                  lr: 0.003

                """)
            let store = scratch.path("kill.sqlite")
            let checkpoints = scratch.path("checkpoints")
            let port = try freeLoopbackPort()
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port,
                                                  extra: ["--heartbeat-ms", "200", "--liveness", "3"])
            func worker(_ id: String) throws -> Child {
                try children.start(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--slots", "1", "--id", id,
                                                "--heartbeat-ms", "200", "--checkpoint-dir", checkpoints], name: id)
            }
            let victim = try worker("pmnist-victim-\(getpid())")
            // Wait for the checkpoint of epoch 2, then kill -9.
            func checkpointEpoch() -> Int? {
                guard let name = try? FileManager.default.contentsOfDirectory(atPath: checkpoints).first(where: { $0.hasSuffix(".pmnist-checkpoint.json") }),
                      let data = FileManager.default.contents(atPath: checkpoints + "/" + name),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
                return object["epoch"] as? Int
            }
            try #require(waitUntil(timeout: 150, poll: 0.02) { (checkpointEpoch() ?? 0) >= 2 },
                         "no checkpoint of epoch 2\n\(children.diagnostics)")
            victim.signal(SIGKILL)
            try #require(victim.waitExit(timeout: 5))
            #expect(victim.process.terminationReason == .uncaughtSignal)
            let epochAtKill = try #require(checkpointEpoch())
            #expect(epochAtKill < 6, "the job had finished before the kill")

            let restarted = try worker("pmnist-restarted-\(getpid())")
            try #require(coordinator.waitExit(timeout: 150), "sweep did not finish after the restart\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            #expect(restarted.waitExit(timeout: 10))
            #expect(restarted.stderr.contains("resuming after epoch \(epochAtKill)"), "\(restarted.diagnostics)")
            #expect(checkpointEpoch() == nil, "the finished job's checkpoint is still there")

            let records = try cmd.export(store: store)
            let record = try #require(records.first)
            #expect(records.count == 1 && record.provenance.workerID.hasPrefix("pmnist-restarted"))
            #expect(record.outcome.series["test_accuracy"]?.count == 6)
            // The same spec, uninterrupted and without checkpoints.
            let specPath = try scratch.write("spec.json", try JSON.string(record.spec))
            let exec = try runToEnd(Bin.worker, ["exec", "--spec", specPath, "--quiet"], in: scratch, timeout: 150)
            #expect(exec.status == 0, "\(exec.stderr)")
            let printed = exec.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(printed == (try JSON.string(record.outcome)), "resumed outcome differs from an uninterrupted run")
            #expect(try JSON.decode(JobOutcome.self, from: Data(printed.utf8)).bitwiseEqual(record.outcome))
        }

        @Test func badCheckpointDirectoryIsRefused() throws {
            try Bin.require()
            let scratch = try Scratch("pmnist-ckpt-arg")
            let file = try scratch.write("not-a-dir", "x")
            let spec = try scratch.write("spec.json", try JSON.string(JobSpec(noop: NoopSpec(token: 1))))
            let f = try runToEnd(Bin.worker, ["exec", "--spec", spec, "--checkpoint-dir", file], in: scratch)
            #expect(f.status != 0 && f.reason == .exit)
            #expect(f.stderr.contains("--checkpoint-dir") && f.stderr.contains("is not a directory"), "\(f.stderr)")
            let s = try runToEnd(Bin.worker, ["--connect", "tcp://127.0.0.1:1", "--checkpoint-dir", file], in: scratch)
            #expect(s.status != 0 && s.stderr.contains("is not a directory"), "\(s.stderr)")
        }
    }
}
