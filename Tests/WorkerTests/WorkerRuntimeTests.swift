import Foundation
import Testing
@testable import Shared
@testable import Worker

/// The worker runtime in-process against a test playing coordinator over real loopback TCP:
/// the socket shell, job threads and the wire. The protocol rules themselves (duplicate ASSIGN,
/// resend windows, stale WELCOMEs, hello-required, backoff) are `WorkerSessionTests`, with a
/// fake clock.
@Suite struct WorkerRuntimeTests {
    @Test func helloCreditAssignResultAckThenStopHandsBackJobs() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 2, id: "worker-a")
        w.start()
        defer { w.stop() }

        let (id, hello) = try coord.handshake()
        #expect(id == Data("worker-a".utf8))
        #expect(hello.workerID == "worker-a" && hello.slots == 2 && hello.host == "testhost" && hello.pid == 42)
        #expect(hello.buildVersion == BuildInfo.build)
        #expect(Set(hello.capabilities) == Set(JobKind.allCases.map(\.rawValue)))
        guard case .ready(let r) = try coord.expect(.ready).message else { return }
        #expect(r.credit == 2)

        let quick = FakeCoordinator.assign(11, sleepMs: 30)
        try coord.send(.assign(quick), to: id)
        guard case .result(let res) = try coord.expect(.result).message else { return }
        #expect(res.jobID == quick.jobID && res.leaseID == quick.leaseID)
        #expect(res.outcome.metrics["token"] == 11)
        #expect(res.provenance.workerID == "worker-a" && res.provenance.host == "testhost")
        #expect(res.provenance.wallSeconds >= 0.025 && res.provenance.wallSeconds < 2)
        guard case .ready(let r2) = try coord.expect(.ready).message else { return }
        #expect(r2.credit == 2)   // the current count of free slots, not an increment
        try coord.send(.ack(.init(jobID: quick.jobID)), to: id)

        // A long job: heartbeats list it while it runs; SIGTERM-style stop hands it back.
        let long = FakeCoordinator.assign(12, sleepMs: 10_000)
        try coord.send(.assign(long), to: id)
        var sawRunning = false
        for _ in 0..<10 where !sawRunning {
            if case .heartbeat(let hb) = try coord.expect(.heartbeat).message, hb.running == [long.jobID] {
                sawRunning = true
                #expect(hb.free == 1)
            }
        }
        #expect(sawRunning)
        w.runtime.requestStop("SIGTERM")
        guard case .disconnect(let d) = try coord.expect(.disconnect).message else { return }
        #expect(d.jobs == [long.jobID])
        #expect(d.reason == "SIGTERM")
        #expect(try w.waitForExit() == .stopped("SIGTERM"))
    }

    @Test func resultIsResentAfterTheCoordinatorRestartsWithoutAcking() throws {
        var coord = try FakeCoordinator()
        let endpoint = coord.endpoint
        let w = try RuntimeHarness(endpoint: endpoint, slots: 1, liveness: 3)
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake(session: "first", liveness: 3)
        try coord.expect(.ready)
        let job = FakeCoordinator.assign(21)
        try coord.send(.assign(job), to: id)
        guard case .result(let first) = try coord.expect(.result).message else { return }

        // The coordinator dies before acknowledging, and a new one binds the same endpoint.
        coord.close()
        coord = try FakeCoordinator(endpoint: endpoint)
        let (id2, hello2) = try coord.handshake(session: "second", liveness: 3)
        #expect(id2 == id)
        #expect(hello2.running.isEmpty)
        var resent: Message.JobResult?
        var credit = 0
        while resent == nil || credit == 0, let (_, m) = try coord.next(within: 2000) {
            if case .result(let r) = m { resent = r }
            if case .ready(let r) = m { credit += r.credit }
        }
        #expect(resent == first)
        #expect(credit == 1)
        try coord.send(.ack(.init(jobID: job.jobID)), to: id2)
        // Once acknowledged it is never sent again, even after the resend window (3 x 50 ms).
        let later = try coord.next(within: 400)
        #expect(later == nil, "unexpected \(String(describing: later?.message))")
        #expect(w.log.contains("reconnecting"))
    }

    @Test func readyCarriesTheCurrentNumberOfFreeSlots() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 3)
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake()
        guard case .ready(let r0) = try coord.expect(.ready).message else { return }
        #expect(r0.credit == 3)
        for (i, ms) in [30, 60, 90].enumerated() { try coord.send(.assign(FakeCoordinator.assign(70 + i, sleepMs: ms)), to: id) }
        var readies: [Int] = [], results = 0
        while results < 3 || readies.count < 3, let (_, m) = try coord.next(within: 2000) {
            if case .ready(let r) = m { readies.append(r.credit) }
            if case .result = m { results += 1 }
        }
        // Once every job ended, all 3 slots are reported free (never "1 more").
        #expect(readies.last == 3)
        #expect(readies == readies.sorted())
    }

    @Test func executorErrorsBecomeFailuresAndFreeTheSlot() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1, execute: { spec, _, _ in
            if spec.noop?.token == 1 { struct Crash: Error {}; throw Crash() }
            return try JobExecutor.run(spec)
        })
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake()
        try coord.expect(.ready)
        // An invalid spec (kind noop without its noop field): not retryable.
        var bad = JobSpec(noop: NoopSpec(token: 0))
        bad.noop = nil
        try coord.send(.assign(.init(jobID: "bad", leaseID: "lb", spec: bad, leaseMs: 1000)), to: id)
        guard case .failure(let f) = try coord.expect(.failure).message else { return }
        #expect(f.jobID == "bad" && f.leaseID == "lb" && !f.retryable && f.error.contains("noop"))
        guard case .ready(let r) = try coord.expect(.ready).message else { return }
        #expect(r.credit == 1)
        // Any other error: retryable.
        try coord.send(.assign(FakeCoordinator.assign(1)), to: id)
        guard case .failure(let f2) = try coord.expect(.failure).message else { return }
        #expect(f2.retryable && f2.error.contains("Crash"))
    }

    /// An ACK for a job the worker holds but has not finished means "not wanted" (a lease of an
    /// earlier coordinator session whose result is stored): a queued job is never started, a
    /// running one's result is discarded. Both would be sent as RESULTs otherwise.
    @Test func ackForAHeldJobDropsItInsteadOfRunningIt() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1, liveness: 20)
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake(liveness: 20)
        try coord.expect(.ready)
        let running = FakeCoordinator.assign(71, sleepMs: 300), queued = FakeCoordinator.assign(72, sleepMs: 10)
        try coord.send(.assign(running), to: id)
        try coord.send(.assign(queued), to: id)   // over-assigned: waits in the backlog
        try coord.send(.ack(.init(jobID: queued.jobID)), to: id)
        try coord.send(.ack(.init(jobID: running.jobID)), to: id)
        var results: [String] = []
        while let (_, m) = try coord.next(within: 1000) { if case .result(let r) = m { results.append(r.jobID) } }
        #expect(results.isEmpty, "unwanted jobs reported: \(results)")
        #expect(w.log.contains("dropped queued job \(queued.jobID.prefix(8))"), "\(w.log.all)")
        #expect(w.log.contains("discarded \(running.jobID.prefix(8))"), "\(w.log.all)")
        #expect(!w.log.contains("start \(queued.jobID.prefix(8))"))
        // The slot is free again and the worker serves on.
        let next = FakeCoordinator.assign(73)
        try coord.send(.assign(next), to: id)
        guard case .result(let r) = try coord.expect(.result).message else { return }
        #expect(r.jobID == next.jobID)
    }

    /// ERROR duplicate-worker-id ends the worker with an error that says why.
    @Test func duplicateIDErrorEndsTheWorker() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1)
        w.start()
        let (id, _) = try coord.expect(.hello)
        try coord.send(.error(.init(code: "duplicate-worker-id", message: "worker id x is in use by pid 7 on h", command: 1)), to: id)
        #expect(throws: WorkerError.duplicateID("worker id x is in use by pid 7 on h")) { try w.waitForExit() }
    }

    @Test func badMessagesAreLoggedAndServingGoesOn() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1)
        w.start()
        defer { w.stop() }
        let (id, _) = try coord.handshake()
        try coord.expect(.ready)
        try coord.router.send([id, Data("junk".utf8)])
        try coord.router.send([id, Message.signature + [9], Data([1]), Data("{}".utf8)])
        try coord.router.send([id, Message.signature + [1], Data([0x77]), Data("{}".utf8)])
        try coord.send(.ready(.init(credit: 1)), to: id)   // a worker-bound command
        try coord.send(.assign(FakeCoordinator.assign(61)), to: id)
        try coord.expect(.result)
        #expect(w.log.contains("wrongFrameCount") || w.log.contains("expected 3 frames"))
        #expect(w.log.contains("version 9"))
        #expect(w.log.contains("unknown command"))
        #expect(w.log.contains("unexpected READY"))
    }

    @Test func coordinatorDisconnectReleasesTheWorker() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1)
        w.start()
        let (id, _) = try coord.handshake()
        try coord.send(.disconnect(.init(reason: "sweep finished")), to: id)
        #expect(try w.waitForExit() == .released("sweep finished"))
    }

    /// A coordinator of another protocol version answers HELLO with ERROR unsupported-version in
    /// ITS framing (PROTOCOL.md 4.5): the worker reads it anyway and ends with its message,
    /// instead of dropping it as undecodable and saying HELLO again forever.
    @Test func refusalInAnotherVersionsFramingEndsTheWorkerWithItsMessage() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1)
        w.start()
        let (id, _) = try coord.expect(.hello)
        let text = "protocol version 1 is not supported: this coordinator (urnnsweep-9.0.0+baseline) speaks version 2"
        let body = try JSON.encode(Message.ErrorReport(code: "unsupported-version", message: text, command: 1))
        try coord.router.send([id, Message.signature + [2], Data([Message.Command.error.rawValue]), body])
        do {
            _ = try w.waitForExit()
            Issue.record("the worker did not end with an error")
        } catch let e as WorkerError {
            guard case .incompatible(let m) = e else { Issue.record("ended with \(e)"); return }
            #expect(m.contains("it speaks protocol version 2") && m.contains("this worker (\(BuildInfo.build)) version 1"), "\(m)")
            #expect(m.hasSuffix(text), "\(m)")
        }
        // Another version's ERROR with another code, or another version's WELCOME, is not a refusal.
        let other = try JSON.encode(Message.ErrorReport(code: "hello-required", message: "x"))
        #expect(WorkerError.versionRefusal([Message.signature + [2], Data([0x0A]), other], build: "b") == nil)
        let welcome = Message.welcome(.init(sessionID: "s", nonce: "n", heartbeatMs: 50, liveness: 3)).encode()
        #expect(WorkerError.versionRefusal([Message.signature + [2]] + welcome.dropFirst(), build: "b") == nil)
    }

    @Test func unsupportedVersionErrorEndsTheWorker() throws {
        let coord = try FakeCoordinator()
        let w = try RuntimeHarness(endpoint: coord.endpoint, slots: 1)
        w.start()
        let (id, _) = try coord.expect(.hello)
        try coord.send(.error(ProtocolError.unsupportedVersion(1).report), to: id)
        #expect(throws: WorkerError.self) { try w.waitForExit() }
    }
}
