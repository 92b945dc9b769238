import Foundation
import Shared
import Testing

/// Who a worker is, checked against a live coordinator (issue 10): two processes under one
/// `--id`, and a worker coming back with leases of an earlier coordinator session.
extension LiveSweeps {
    @Suite struct WorkerIdentity {
        /// A second process under a connected worker's id is refused with an ERROR that says why
        /// and exits non-zero; the first keeps its connection, finishes the sweep and is released.
        @Test(.timeLimit(.minutes(2)))
        func secondWorkerWithTheSameIDIsRefusedAndSaysWhy() throws {
            try Bin.require()
            let scratch = try Scratch("dupid")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("dup.yaml", noopSweep(name: "integ-dupid", count: 12, sleepMs: 300))
            let port = try freeLoopbackPort()
            let coordinator = try cmd.coordinator(sweep: sweep, store: scratch.path("dup.sqlite"), port: port,
                                                  extra: ["--heartbeat-ms", "200"])
            let id = "integ-twin-\(getpid())"
            let first = try cmd.worker(port: port, id: id, slots: 1, heartbeatMs: 200)
            try #require(waitUntil(timeout: 30) { first.stderr.contains("welcomed") }, "\(children.diagnostics)")
            let second = try children.start(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--slots", "1", "--id", id,
                                                        "--heartbeat-ms", "200"], name: "twin")
            try #require(second.waitExit(timeout: 15), "the second worker under id \(id) was not refused\n\(children.diagnostics)")
            #expect(second.process.terminationReason == .exit && second.process.terminationStatus != 0)
            #expect(second.stderr.contains("duplicate-worker-id") && second.stderr.contains("in use by pid \(first.pid)"),
                    "\(second.diagnostics)")
            #expect(WorkerLog.started(second.stderr).isEmpty, "the refused worker ran jobs")
            #expect(coordinator.stderr.contains("refused HELLO from pid \(second.pid)"), "\(coordinator.diagnostics)")
            try #require(coordinator.waitExit(timeout: 60), "sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0)
            #expect(first.waitExit(timeout: 10) && first.process.terminationStatus == 0, "\(first.diagnostics)")
            #expect(first.stderr.contains("released this worker: sweep finished"), "the first worker never heard the end")
            #expect(try cmd.export(store: scratch.path("dup.sqlite")).count == 12)
        }

        /// A worker whose HELLO lists jobs of an earlier session that are already stored (or not in
        /// the sweep) gets an ACK for each right after WELCOME: drop them, do not run them again.
        @Test(.timeLimit(.minutes(2)))
        func helloWithStaleLeasesOfStoredJobsIsToldToDropThem() throws {
            let live = try BadInput.Live("staleleases", extra: ["--stay"])
            defer { live.children.killAll() }
            try #require(waitUntil(timeout: 30) { live.coordinator.stderr.contains("listening on") }, "\(live.coordinator.diagnostics)")
            _ = try live.cmd.worker(port: live.port, id: "integ-finisher-\(getpid())", slots: 2, heartbeatMs: 200)
            try #require(try waitUntil(timeout: 30, poll: 0.2) { try live.cmd.status(store: live.store).done == BadInput.jobs },
                         "\(live.children.diagnostics)")
            let stored = try #require(try live.cmd.export(store: live.store).first).jobID
            let unknown = String(repeating: "0f", count: 16)
            let c = try live.client("raw-stale")
            try c.send(.hello(.init(workerID: c.id, host: "raw", pid: Int(getpid()), slots: 1, buildVersion: BuildInfo.version,
                                    capabilities: ["noop"], nonce: "stale-1", running: [stored, unknown])))
            guard case .welcome = try c.nextNonHeartbeat() else { Issue.record("no WELCOME"); return }
            var acked: Set<String> = []
            while acked.count < 2, let m = try c.nextReply(within: 2000) { if case .ack(let a) = m { acked.insert(a.jobID) } }
            #expect(acked == [stored, unknown], "acknowledged \(acked)\n\(live.coordinator.diagnostics)")
        }
    }
}
