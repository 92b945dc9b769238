import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// SIGTERM instead of SIGKILL: a worker hands its jobs back at once (no lease has to expire),
    /// a coordinator stops with its store consistent, and the same command resumes the sweep.
    @Suite struct GracefulStop {
        @Test(.timeLimit(.minutes(2)))
        func sigtermedWorkerHandsBackItsJobsAtOnce() throws {
            try Bin.require()
            let scratch = try Scratch("termworker")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let jobs = 24
            let sweep = try scratch.write("term-worker.yaml", noopSweep(name: "integ-term-worker", count: jobs, sleepMs: 300))
            let store = scratch.path("term-worker.sqlite")
            let port = try freeLoopbackPort()
            // Slow heartbeats: a worker presumed dead would take 5 s; a hand-back takes none.
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port,
                                                  extra: ["--heartbeat-ms", "1000", "--liveness", "5"])
            let leaverID = "integ-leaver-\(getpid())", stayerID = "integ-stayer-\(getpid())"
            let leaver = try cmd.worker(port: port, id: leaverID, slots: 2, heartbeatMs: 1000)
            let stayer = try cmd.worker(port: port, id: stayerID, slots: 2, heartbeatMs: 1000)

            let busy = waitUntil(timeout: 60, poll: 0.01) {
                let log = leaver.stderr
                return WorkerLog.finished(log).count >= 2 && WorkerLog.started(log).count - WorkerLog.finished(log).count >= 2
            }
            try #require(busy, "the leaver never got busy\n\(children.diagnostics)")
            leaver.signal(SIGTERM)
            try #require(leaver.waitExit(timeout: 10), "SIGTERM did not stop the worker\n\(leaver.diagnostics)")
            #expect(leaver.process.terminationReason == .exit && leaver.process.terminationStatus == 0)
            let log = leaver.stderr
            let inFlight = Set(WorkerLog.started(log)).subtracting(WorkerLog.finished(log))
            #expect(!inFlight.isEmpty, "the leaver had nothing in hand")
            #expect(log.contains("stopping (SIGTERM): handed back"), "\(leaver.diagnostics)")

            // `status` of the running sweep sees the one worker left.
            var live: StatusJSON?
            let seen = try waitUntil(timeout: 10, poll: 0.2) {
                live = try cmd.status(store: store)
                return live?.coordinator == "running" && live?.workersAlive == 1
            }
            #expect(seen, "status of the running sweep: \(String(describing: live))")
            #expect((live?.total ?? 0) == jobs && (live?.done ?? 0) >= 2)

            try #require(coordinator.waitExit(timeout: 60), "sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            #expect(stayer.waitExit(timeout: 10))
            // What the worker says it handed back is what the coordinator says it got back.
            let clog = coordinator.stderr
            let said = try #require(number(after: "stopping (SIGTERM): handed back ", in: log))
            #expect(said >= 1)
            #expect(number(after: "worker \(leaverID) disconnects (SIGTERM), hands back ", in: clog) == said,
                    "no hand-back of \(said) jobs in\n\(coordinator.diagnostics)")
            #expect(!clog.contains("worker \(leaverID) is silent past liveness"), "the leaver was presumed dead, not released")

            let records = try cmd.export(store: store)
            #expect(records.count == jobs && records.duplicateIDs.isEmpty)
            for id8 in inFlight {
                #expect(records.first { $0.jobID.hasPrefix(id8) }?.provenance.workerID == stayerID, "handed-back job \(id8)")
            }
            #expect(try cmd.status(store: store).failed == 0)
        }

        @Test(.timeLimit(.minutes(2)))
        func sigtermedCoordinatorStopsCleanlyAndTheSameCommandResumes() throws {
            try Bin.require()
            let scratch = try Scratch("termcoord")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let jobs = 40
            let sweep = try scratch.write("term-coord.yaml", noopSweep(name: "integ-term-coordinator", count: jobs, sleepMs: 150))
            let store = scratch.path("term-coord.sqlite")
            let port = try freeLoopbackPort()
            let args = ["--local-workers", "2", "--worker-slots", "2", "--heartbeat-ms", "200", "--liveness", "3", "--verbose"]

            // Local workers log to the coordinator's stderr with --verbose.
            let first = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: args, name: "coordinator-1")
            try #require(waitUntil(timeout: 60, poll: 0.01) { WorkerLog.finished(first.stderr).count >= 8 },
                         "no progress\n\(first.diagnostics)")
            first.signal(SIGTERM)
            try #require(first.waitExit(timeout: 20), "SIGTERM did not stop the coordinator\n\(first.diagnostics)")
            #expect(first.process.terminationReason == .exit && first.process.terminationStatus == 130,
                    "a stop by signal exits 130\n\(first.diagnostics)")
            let log1 = first.stderr
            #expect(log1.contains("stopping on signal"))
            // Both local workers were stopped with it (each logs its exit).
            #expect(log1.components(separatedBy: ": exiting: ").count - 1 == 2, "local workers did not exit\n\(first.diagnostics)")

            let storedAtStop = Set(try cmd.export(store: store).map(\.jobID))
            let mid = try cmd.status(store: store)
            #expect(mid.coordinator == "stopped" && mid.total == jobs)
            #expect(mid.done == storedAtStop.count && mid.done < jobs, "stopped at \(mid.done) of \(jobs)")

            let second = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: args, name: "coordinator-2")
            try #require(second.waitExit(timeout: 60), "resumed sweep did not finish\n\(second.diagnostics)")
            #expect(second.process.terminationStatus == 0, "\(second.diagnostics)")
            let rerun = WorkerLog.started(second.stderr).filter { id8 in storedAtStop.contains { $0.hasPrefix(id8) } }
            #expect(rerun.isEmpty, "stored before the stop, run again after it: \(rerun)")
            let records = try cmd.export(store: store)
            #expect(records.count == jobs && records.duplicateIDs.isEmpty)
            let status = try cmd.status(store: store)
            #expect(status.done == jobs && status.failed == 0 && status.coordinator == "stopped")

            // Once more on the finished store: nothing is left to run, nothing changes.
            let third = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: args, name: "coordinator-3")
            try #require(third.waitExit(timeout: 30), "a finished sweep did not exit\n\(third.diagnostics)")
            #expect(third.process.terminationStatus == 0)
            #expect(WorkerLog.started(third.stderr).isEmpty, "jobs of a finished sweep ran again")
            #expect(try cmd.export(store: store) == records)
        }

        @Test(.timeLimit(.minutes(2)))
        func workerStartedBeforeTheCoordinatorJoinsWhenItComesUp() throws {
            try Bin.require()
            let scratch = try Scratch("early")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let jobs = 8
            let sweep = try scratch.write("early.yaml", noopSweep(name: "integ-early-worker", count: jobs, sleepMs: 50))
            let store = scratch.path("early.sqlite")
            let port = try freeLoopbackPort()
            let id = "integ-early-\(getpid())"

            let worker = try cmd.worker(port: port, id: id, slots: 2, heartbeatMs: 200)
            try #require(waitUntil(timeout: 15) { worker.stderr.contains("reconnecting in") },
                         "the worker does not retry while nobody listens\n\(worker.diagnostics)")
            #expect(worker.isRunning)
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--heartbeat-ms", "200"])
            try #require(coordinator.waitExit(timeout: 60), "sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            #expect(worker.waitExit(timeout: 10) && worker.process.terminationStatus == 0, "\(worker.diagnostics)")
            let records = try cmd.export(store: store)
            #expect(records.count == jobs && records.duplicateIDs.isEmpty)
            #expect(records.allSatisfy { $0.provenance.workerID == id })
        }

        /// The integer right after `marker` in `text`.
        func number(after marker: String, in text: String) -> Int? {
            guard let r = text.range(of: marker) else { return nil }
            return Int(text[r.upperBound...].prefix { $0.isNumber })
        }
    }
}
