import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// kill -9 of a worker or of the coordinator in the middle of a sweep: every job is still
    /// stored exactly once, and a job stored before a coordinator crash never runs again.
    @Suite struct CrashRecovery {
        static let jobs = 60
        /// Heartbeat 200 ms x liveness 3: a dead worker loses its leases after 0.6 s.
        static let timing = ["--heartbeat-ms", "200", "--liveness", "3"]

        @Test(.timeLimit(.minutes(2)))
        func killingAWorkerMidJobStillStoresEveryJobExactlyOnce() throws {
            try Bin.require()
            let scratch = try Scratch("killworker")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("kill-worker.yaml", noopSweep(name: "integ-kill-worker", count: Self.jobs, sleepMs: 200))
            let store = scratch.path("kill-worker.sqlite")
            let port = try freeLoopbackPort()

            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: Self.timing)
            let victimID = "integ-victim-\(getpid())", survivorID = "integ-survivor-\(getpid())"
            let victim = try cmd.worker(port: port, id: victimID, slots: 2, heartbeatMs: 200)
            let survivor = try cmd.worker(port: port, id: survivorID, slots: 2, heartbeatMs: 200)

            // Kill the victim once it has stored a few results and holds running jobs.
            let busy = waitUntil(timeout: 60, poll: 0.01) {
                let log = victim.stderr
                return WorkerLog.finished(log).count >= 3 && WorkerLog.started(log).count - WorkerLog.finished(log).count >= 2
            }
            try #require(busy, "the victim never got busy\n\(children.diagnostics)")
            victim.signal(SIGKILL)
            try #require(victim.waitExit(timeout: 5))
            #expect(victim.process.terminationReason == .uncaughtSignal)
            let log = victim.stderr
            let inFlight = Set(WorkerLog.started(log)).subtracting(WorkerLog.finished(log))
            #expect(!inFlight.isEmpty, "the victim was killed between jobs, not mid-job")

            try #require(coordinator.waitExit(timeout: 60), "sweep did not finish after the kill\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            // The survivor is released by the coordinator's DISCONNECT and exits cleanly.
            #expect(survivor.waitExit(timeout: 10), "survivor still running\n\(survivor.diagnostics)")

            let status = try cmd.status(store: store)
            #expect(status.total == Self.jobs && status.done == Self.jobs && status.failed == 0)
            let records = try cmd.export(store: store)
            #expect(records.count == Self.jobs)
            #expect(records.duplicateIDs.isEmpty)
            #expect(Set(records.compactMap { $0.outcome.metrics["token"] }) == Set((0..<Self.jobs).map(Double.init)))
            // What the victim had in hand when it died was redone by the survivor.
            for id8 in inFlight {
                let r = records.first { $0.jobID.hasPrefix(id8) }
                #expect(r?.provenance.workerID == survivorID, "job \(id8) that died with the victim: \(String(describing: r?.provenance))")
            }
            #expect(coordinator.stderr.contains("worker \(victimID) is silent past liveness"),
                    "the coordinator never declared the victim dead\n\(coordinator.diagnostics)")
        }

        @Test(.timeLimit(.minutes(2)))
        func killingTheCoordinatorAndRestartingItNeverRerunsAStoredJob() throws {
            try Bin.require()
            let scratch = try Scratch("killcoord")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("kill-coord.yaml", noopSweep(name: "integ-kill-coordinator", count: Self.jobs, sleepMs: 200))
            let store = scratch.path("kill-coord.sqlite")
            let port = try freeLoopbackPort()

            let first = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: Self.timing, name: "coordinator-1")
            let ids = ["integ-a-\(getpid())", "integ-b-\(getpid())"]
            let workers = try ids.map { try cmd.worker(port: port, id: $0, slots: 2, heartbeatMs: 200) }
            let doneSoFar = { workers.reduce(0) { $0 + WorkerLog.finished($1.stderr).count } }

            try #require(waitUntil(timeout: 60, poll: 0.01) { doneSoFar() >= 12 }, "no progress\n\(children.diagnostics)")
            first.signal(SIGKILL)
            try #require(first.waitExit(timeout: 5))
            let offsets = workers.map(\.stderrSize)   // worker log lines past these were written after the kill
            let storedAtKill = Set(try cmd.export(store: store).map(\.jobID))
            try #require(!storedAtKill.isEmpty && storedAtKill.count < Self.jobs,
                         "kill was not mid-sweep: \(storedAtKill.count) of \(Self.jobs) stored")
            let mid = try cmd.status(store: store)
            #expect(mid.coordinator == "stopped" || mid.coordinator == "running") // readable after a crash
            #expect(mid.done == storedAtKill.count)

            let second = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: Self.timing, name: "coordinator-2")
            try #require(second.waitExit(timeout: 60), "restarted sweep did not finish\n\(children.diagnostics)")
            #expect(second.process.terminationStatus == 0, "\(second.diagnostics)")
            for w in workers { #expect(w.waitExit(timeout: 10), "worker still running\n\(w.diagnostics)") }

            // No job stored before the kill was started again afterwards.
            let startedAfter = zip(workers, offsets).flatMap { WorkerLog.started($0.stderr(from: $1)) }
            let rerun = startedAfter.filter { id8 in storedAtKill.contains { $0.hasPrefix(id8) } }
            #expect(rerun.isEmpty, "stored before the kill, started again after it: \(rerun)")
            // The same workers reconnected and did the rest.
            #expect(!startedAfter.isEmpty, "no job was started after the restart")
            for w in workers {
                #expect(w.stderr(from: 0).components(separatedBy: "welcomed by coordinator session").count - 1 >= 2,
                        "\(w.name) never joined the restarted coordinator\n\(w.diagnostics)")
            }

            let status = try cmd.status(store: store)
            #expect(status.total == Self.jobs && status.done == Self.jobs && status.failed == 0)
            let records = try cmd.export(store: store)
            #expect(records.count == Self.jobs)
            #expect(records.duplicateIDs.isEmpty)
            #expect(Set(records.map(\.provenance.workerID)).isSubset(of: Set(ids)))
            #expect(Set(records.compactMap { $0.outcome.metrics["token"] }) == Set((0..<Self.jobs).map(Double.init)))
        }
    }
}
