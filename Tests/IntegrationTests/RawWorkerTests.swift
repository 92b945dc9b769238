import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// A worker written by hand from PROTOCOL.md alone (the raw DEALER), doing its job right.
    @Suite struct RawWorker {
        /// A diverged result is a result (PROTOCOL.md 4.2, 5): NaN and infinities survive the wire,
        /// the store and `export`, and `status` counts it as diverged, not failed.
        @Test(.timeLimit(.minutes(2)))
        func divergedResultWithNonFiniteNumbersIsStoredIntact() throws {
            let live = try BadInput.Live("diverged")
            defer { live.children.killAll() }
            let c = try live.client("raw-diverging")
            try #require(try c.hello(slots: 1, capabilities: ["noop"]) != nil, "no WELCOME")
            try c.send(.ready(.init(credit: 1)))
            var assign: Message.Assign?
            while assign == nil, let m = try c.nextNonHeartbeat(within: 3000) {
                if case .assign(let a) = m { assign = a }
            }
            let a = try #require(assign, "no ASSIGN after READY")
            #expect(a.spec.kind == .noop && a.spec.id == a.jobID && a.leaseMs > 0 && !a.leaseID.isEmpty)

            let outcome = JobOutcome(status: .diverged,
                                     metrics: ["token": .nan, "test_r2": .nan, "loss": .infinity, "floor": -.infinity, "ok": 0.25],
                                     series: ["train_loss": [0.5, .infinity, -.infinity, .nan]],
                                     events: ["epoch 2: rolled back", "epoch 2: gave up"], divergedEpoch: 2)
            let result = Message.JobResult(jobID: a.jobID, leaseID: a.leaseID, outcome: outcome,
                                        provenance: Provenance(host: "raw-host", workerID: c.id, buildVersion: "raw-1.0",
                                                               wallSeconds: 0.125))
            try c.send(.result(result))
            let reply = try c.nextReply()
            #expect(reply == .ack(.init(jobID: a.jobID)), "RESULT not acknowledged: \(String(describing: reply))")
            c.close()

            try live.expectStillServes()
            let records = try live.cmd.export(store: live.store)
            let stored = try #require(records.first { $0.jobID == a.jobID })
            #expect(stored.outcome.bitwiseEqual(outcome), "stored \(stored.outcome), sent \(outcome)")
            #expect(stored.outcome.metrics["token"]?.isNaN == true && stored.outcome.metrics["loss"] == .infinity)
            #expect(stored.provenance == result.provenance)
            #expect(stored.spec == a.spec)
            let status = try live.cmd.status(store: live.store)
            #expect(status.diverged == 1 && status.failed == 0 && status.done == BadInput.jobs)
        }
    
        /// A worker that goes silent loses its lease; its job runs elsewhere; when its RESULT finally
        /// comes (now for a finished job, from an unknown sender) it is ACKed and ignored:
        /// the first stored result stays (PROTOCOL.md 8.3, 8.5).
        @Test(.timeLimit(.minutes(2)))
        func lateResultAfterReassignmentIsAcknowledgedAndIgnored() throws {
            let live = try BadInput.Live("late", extra: ["--stay"])
            defer { live.children.killAll() }
            let c = try live.client("raw-late")
            try #require(try c.hello(slots: 1, capabilities: ["noop"]) != nil, "no WELCOME")
            try c.send(.ready(.init(credit: 1)))
            var assign: Message.Assign?
            while assign == nil, let m = try c.nextNonHeartbeat(within: 3000) {
                if case .assign(let a) = m { assign = a }
            }
            let a = try #require(assign, "no ASSIGN after READY")
            // Silent from here on (the socket stays open: only the heartbeats stop).
            _ = try live.cmd.worker(port: live.port, id: "integ-honest-\(getpid())", slots: 2, heartbeatMs: 200)
            var status: StatusJSON?
            let finished = try waitUntil(timeout: 30, poll: 0.2) {
                status = try live.cmd.status(store: live.store)
                return status?.done == BadInput.jobs
            }
            try #require(finished, "sweep did not finish: \(String(describing: status))\n\(live.children.diagnostics)")
            let before = try live.cmd.export(store: live.store)
            let honest = try #require(before.first { $0.jobID == a.jobID })
            #expect(honest.provenance.workerID != c.id)

            // Declared dead, it has no session: its RESULT is answered hello-required, not acted on.
            let forged = Message.result(.init(jobID: a.jobID, leaseID: a.leaseID, outcome: JobOutcome(metrics: ["token": 999]),
                                              provenance: Provenance(host: "raw", workerID: c.id, buildVersion: "raw", wallSeconds: 9)))
            try c.send(forged)
            let reply = try c.nextReply()
            #expect(reply.map { if case .error(let e) = $0 { e.code == "hello-required" } else { false } } == true,
                    "RESULT without a session: \(String(describing: reply))")
            // After a new HELLO it is an earlier holder of a job now stored: ACKed, not stored.
            try #require(try c.hello(slots: 1, capabilities: []) != nil, "no WELCOME")
            try c.send(forged)
            let late = try c.nextReply()
            #expect(late == .ack(.init(jobID: a.jobID)), "late RESULT: \(String(describing: late))")
            c.close()
            #expect(live.coordinator.isRunning, "\(live.coordinator.diagnostics)")
            #expect(try live.cmd.export(store: live.store) == before, "the late result changed the store")

            live.coordinator.signal(SIGTERM)
            #expect(live.coordinator.waitExit(timeout: 15))
            #expect(live.coordinator.process.terminationReason == .exit)
        }
    }
}
