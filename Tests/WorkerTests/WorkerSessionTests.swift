import Foundation
import Testing
@testable import Shared
@testable import Worker

/// Fake-clock tests of the worker's protocol rules (`WorkerSession`): events in, actions
/// checked. No sockets, no threads, no waiting.
@Suite struct WorkerSessionTests {
    typealias Action = WorkerSession.Action

    static func config(slots: Int = 2, idle: Double? = nil, kinds: [String]? = nil) -> WorkerConfiguration {
        var c = WorkerConfiguration(endpoint: "tcp://coord:5555", slots: slots, workerID: "w1", host: "h", pid: 7,
                                    heartbeatMs: 1000, liveness: 4)
        c.reconnectMinMs = 250
        c.reconnectMaxMs = 2000
        c.lingerMs = 1500
        c.idleExitSeconds = idle
        if let kinds { c.capabilities = kinds }
        return c
    }

    /// A session past HELLO and WELCOME (session "s1", heartbeat 1 s, liveness 3) at time 0.
    static func welcomed(slots: Int = 2) -> WorkerSession {
        var s = WorkerSession(config: config(slots: slots), now: 0)
        #expect(s.tick(now: 0) == [.connect])
        let hello = Self.sent(s.connectionWritable(now: 0))
        guard case .hello(let h)? = hello.first else { Issue.record("no HELLO: \(hello)"); return s }
        let acts = s.received(.welcome(.init(sessionID: "s1", nonce: h.nonce, heartbeatMs: 1000, liveness: 3)), now: 0)
        #expect(Self.sent(acts) == [.ready(.init(credit: slots))])
        return s
    }

    static func sent(_ actions: [Action]) -> [Message] {
        actions.compactMap { if case .send(let m) = $0 { m } else { nil } }
    }
    static func started(_ actions: [Action]) -> [String] {
        actions.compactMap { if case .startJob(let a) = $0 { a.jobID } else { nil } }
    }
    static func quiet(_ actions: [Action]) -> [Action] {
        actions.filter { if case .log = $0 { false } else { true } }
    }
    static func job(_ token: Int, lease: String = "l") -> Message.Assign { FakeCoordinator.assign(token, lease: lease) }
    static func finished(_ a: Message.Assign, value: Double = 1, seconds: Double = 0.5) -> FinishedJob {
        FinishedJob(assign: a, outcome: .success(JobOutcome(metrics: ["token": value])), wallSeconds: seconds)
    }

    @Test func helloWelcomeAssignResultAckRoundTrip() {
        var s = WorkerSession(config: Self.config(slots: 2), now: 0)
        #expect(s.tick(now: 0) == [.connect])
        #expect(s.wantsWritable)
        let hello = Self.sent(s.connectionWritable(now: 0.01))
        guard case .hello(let h)? = hello.first else { Issue.record("no HELLO"); return }
        #expect(h.workerID == "w1" && h.slots == 2 && h.pid == 7 && h.running.isEmpty && !h.nonce.isEmpty)
        #expect(!s.wantsWritable)
        // Nothing happens before the WELCOME: an ASSIGN is ignored, no heartbeat goes out.
        #expect(Self.quiet(s.received(.assign(Self.job(1)), now: 0.1)).isEmpty)
        #expect(Self.quiet(s.tick(now: 0.5)).isEmpty)
        _ = s.received(.welcome(.init(sessionID: "s1", nonce: h.nonce, heartbeatMs: 1000, liveness: 3)), now: 0.6)
        #expect(s.sessionID == "s1" && s.heartbeatMs == 1000 && s.liveness == 3)

        let a = Self.job(2)
        #expect(Self.started(s.received(.assign(a), now: 1)) == [a.jobID])
        #expect(s.freeSlots == 1)
        let done = s.jobFinished(Self.finished(a), now: 1.2)
        let msgs = Self.sent(done)
        guard case .result(let r)? = msgs.first else { Issue.record("no RESULT: \(done)"); return }
        #expect(r.jobID == a.jobID && r.leaseID == a.leaseID && r.outcome.metrics["token"] == 1)
        #expect(r.provenance == Provenance(host: "h", workerID: "w1", buildVersion: BuildInfo.build, wallSeconds: 0.5))
        #expect(msgs.dropFirst().first == .ready(.init(credit: 2)))   // the current count, not +1
        #expect(s.unackedCount == 1)
        #expect(Self.quiet(s.received(.ack(.init(jobID: a.jobID)), now: 1.3)).isEmpty)
        #expect(s.unackedCount == 0)
    }

    @Test func heartbeatsListHeldJobsOnTheCoordinatorsInterval() {
        var s = Self.welcomed(slots: 1)
        let a = Self.job(3), b = Self.job(4)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.assign(b), now: 0.1)   // over-assigned: backlog
        #expect(Self.sent(s.tick(now: 0.9)).isEmpty)
        for t in [1.0, 2.0, 3.0] {
            _ = s.received(.heartbeat(.init(sessionID: "s1")), now: t - 0.05)
            #expect(Self.sent(s.tick(now: t)) == [.heartbeat(.init(running: [a.jobID, b.jobID], free: 0))])
            #expect(Self.sent(s.tick(now: t + 0.5)).isEmpty)
        }
    }

    @Test func duplicateAssignIsIgnoredAndTheBacklogRunsInOrder() {
        var s = Self.welcomed(slots: 1)
        let a = Self.job(5), b = Self.job(6)
        #expect(Self.started(s.received(.assign(a), now: 0.1)) == [a.jobID])
        #expect(Self.quiet(s.received(.assign(a), now: 0.2)).isEmpty)   // duplicate while running
        #expect(Self.quiet(s.received(.assign(b), now: 0.3)).isEmpty)   // queued, not started
        #expect(Self.quiet(s.received(.assign(b), now: 0.4)).isEmpty)   // duplicate while queued
        #expect(s.backlog.map(\.jobID) == [b.jobID])
        let next = s.jobFinished(Self.finished(a), now: 0.5)
        #expect(Self.started(next) == [b.jobID])
        #expect(!Self.sent(next).contains { if case .ready = $0 { true } else { false } })   // slot taken again
        let last = Self.sent(s.jobFinished(Self.finished(b), now: 0.6))
        #expect(last.last == .ready(.init(credit: 1)))
    }

    @Test func ackForAnUnknownJobChangesNothing() {
        var s = Self.welcomed()
        let a = Self.job(7)
        _ = s.received(.assign(a), now: 0.1)
        #expect(s.received(.ack(.init(jobID: "not-a-job")), now: 0.2).isEmpty)
        #expect(s.running.keys.sorted() == [a.jobID] && s.unwanted.isEmpty && s.freeSlots == 1)
        // Its result still goes out.
        #expect(Self.sent(s.jobFinished(Self.finished(a), now: 0.3)).first.map { if case .result = $0 { true } else { false } } == true)
    }

    @Test func ackForAHeldJobDropsItsQueueEntryOrDiscardsItsResult() {
        var s = Self.welcomed(slots: 1)
        let running = Self.job(8), queued = Self.job(9)
        _ = s.received(.assign(running), now: 0.1)
        _ = s.received(.assign(queued), now: 0.1)
        let drop = s.received(.ack(.init(jobID: queued.jobID)), now: 0.2)
        #expect(s.backlog.isEmpty && Self.sent(drop).isEmpty)   // no slot free yet: no READY
        _ = s.received(.ack(.init(jobID: running.jobID)), now: 0.3)
        #expect(s.unwanted == [running.jobID])
        let end = s.jobFinished(Self.finished(running), now: 0.4)
        #expect(Self.sent(end) == [.ready(.init(credit: 1))])   // no RESULT, slot offered
        #expect(Self.started(end).isEmpty && s.unackedCount == 0 && s.unwanted.isEmpty)
    }

    @Test func assignOfAFinishedUnackedJobResendsItsResultWithoutRunningIt() {
        var s = Self.welcomed()
        let a = Self.job(10)
        _ = s.received(.assign(a), now: 0.1)
        guard case .result(let r1)? = Self.sent(s.jobFinished(Self.finished(a), now: 0.2)).first else { Issue.record("no result"); return }
        // The coordinator lost the lease (stale) and assigns the job again under a new one.
        let again = s.received(.assign(Self.job(10, lease: "other")), now: 0.3)
        #expect(Self.started(again).isEmpty)
        #expect(Self.sent(again) == [.result(r1)])
    }

    @Test func unackedResultIsResentAfterTheLivenessWindowUntilAcked() {
        var s = Self.welcomed()
        let a = Self.job(11)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.jobFinished(Self.finished(a), now: 0.2)
        func results(_ acts: [Action]) -> Int { Self.sent(acts).filter { if case .result = $0 { true } else { false } }.count }
        var resent = 0
        for t in stride(from: 1.0, through: 6.0, by: 1.0) {
            _ = s.received(.heartbeat(.init(sessionID: "s1")), now: t - 0.1)
            resent += results(s.tick(now: t))
        }
        // Sent at 0.2, resent at the first heartbeat >= 3.2 s later (4.0), not before; then every 3 s.
        #expect(resent == 1)
        _ = s.received(.ack(.init(jobID: a.jobID)), now: 6.1)
        for t in stride(from: 7.0, through: 12.0, by: 1.0) {
            _ = s.received(.heartbeat(.init(sessionID: "s1")), now: t - 0.1)
            #expect(results(s.tick(now: t)) == 0)
        }
    }

    /// The coordinator restarted (another session id in its heartbeat): reconnect at once, HELLO
    /// with a new nonce listing the held jobs, and after the WELCOME re-deliver the unacked result.
    @Test func coordinatorRestartReconnectsAndRedeliversUnackedResults() {
        var s = Self.welcomed(slots: 2)
        let a = Self.job(12), b = Self.job(13)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.assign(b), now: 0.1)
        guard case .result(let r)? = Self.sent(s.jobFinished(Self.finished(a), now: 0.2)).first else { Issue.record("no result"); return }
        let restart = s.received(.heartbeat(.init(sessionID: "s2")), now: 0.5)
        #expect(Self.quiet(restart) == [.reconnect(after: 0)])
        #expect(s.sessionID == nil && !s.isConnected)
        #expect(Self.quiet(s.tick(now: 0.5)) == [.connect])
        guard case .hello(let h)? = Self.sent(s.connectionWritable(now: 0.5)).first else { Issue.record("no HELLO"); return }
        #expect(h.running == [b.jobID])
        // A WELCOME answering the old nonce is stale.
        #expect(Self.quiet(s.received(.welcome(.init(sessionID: "s1", nonce: "1-old", heartbeatMs: 1000, liveness: 3)), now: 0.6)).isEmpty)
        #expect(s.sessionID == nil)
        let w = s.received(.welcome(.init(sessionID: "s2", nonce: h.nonce, heartbeatMs: 500, liveness: 5)), now: 0.7)
        #expect(Self.sent(w) == [.ready(.init(credit: 1)), .result(r)])
        #expect(s.sessionID == "s2" && s.heartbeatMs == 500 && s.liveness == 5)
    }

    /// A silent coordinator is presumed dead after heartbeat x liveness; reconnects back off with
    /// jitter, doubling up to the maximum, and the backoff resets after a WELCOME.
    @Test func silentCoordinatorMeansReconnectWithBackoff() {
        var s = Self.welcomed()
        #expect(Self.quiet(s.tick(now: 2.9)).allSatisfy { if case .send(.heartbeat) = $0 { true } else { false } })
        var delays: [Double] = []
        var t = 3.0
        for _ in 0..<6 {
            let acts = s.tick(now: t)
            guard case .reconnect(let d)? = Self.quiet(acts).last else { Issue.record("no reconnect at \(t): \(acts)"); return }
            delays.append(d)
            #expect(Self.quiet(s.tick(now: t + d - 0.001)).isEmpty)   // not before the delay
            #expect(Self.quiet(s.tick(now: t + d)) == [.connect])
            _ = s.connectionWritable(now: t + d)
            t += d + 4.5   // no WELCOME within liveness (config: 1000 ms x 4)
        }
        for (i, d) in delays.enumerated() {
            let base = min(2.0, 0.25 * Double(1 << i))
            #expect(d >= 0.75 * base - 0.001 && d <= 1.25 * base + 0.001, "attempt \(i): \(d) s for base \(base)")
        }
    }

    @Test func helloRequiredBeforeWelcomeIsIgnoredAfterItReconnects() {
        var s = WorkerSession(config: Self.config(), now: 0)
        _ = s.tick(now: 0)
        guard case .hello(let h)? = Self.sent(s.connectionWritable(now: 0)).first else { return }
        let early = s.received(.error(.init(code: "hello-required", message: "send HELLO first")), now: 0.1)
        #expect(Self.quiet(early).isEmpty && s.isConnected)
        _ = s.received(.welcome(.init(sessionID: "s1", nonce: h.nonce, heartbeatMs: 1000, liveness: 3)), now: 0.2)
        let late = s.received(.error(.init(code: "hello-required", message: "who are you?")), now: 0.3)
        #expect(Self.quiet(late) == [.reconnect(after: 0)])
    }

    @Test func fatalErrorsAndDisconnectEndTheSession() {
        var dup = Self.welcomed()
        #expect(Self.quiet(dup.received(.error(.init(code: "duplicate-worker-id", message: "in use")), now: 1)) == [.fail(.duplicateID("in use"))])
        #expect(dup.isOver && dup.tick(now: 100).isEmpty)
        var old = Self.welcomed()
        #expect(Self.quiet(old.received(.error(ProtocolError.unsupportedVersion(1).report), now: 1)).last.map {
            if case .fail(.incompatible) = $0 { true } else { false } } == true)
        var released = Self.welcomed()
        #expect(Self.quiet(released.received(.disconnect(.init(reason: "sweep finished")), now: 1)) == [.exit(.released("sweep finished"))])
        // Other errors are logged and serving goes on.
        var other = Self.welcomed()
        #expect(Self.quiet(other.received(.error(.init(code: "malformed-body", message: "x")), now: 1)).isEmpty)
        #expect(!other.isOver)
    }

    @Test func stopHandsBackHeldJobsAndClosesWithLinger() {
        var s = Self.welcomed(slots: 1)
        let a = Self.job(14), b = Self.job(15)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.assign(b), now: 0.1)
        #expect(Self.quiet(s.stop("SIGTERM", now: 0.2)) == [
            .send(.disconnect(.init(reason: "SIGTERM", jobs: [a.jobID, b.jobID]))), .close(lingerMs: 1500), .exit(.stopped("SIGTERM")),
        ])
        var lone = WorkerSession(config: Self.config(), now: 0)
        #expect(Self.quiet(lone.stop("SIGINT", now: 0)) == [.close(lingerMs: 1500), .exit(.stopped("SIGINT"))])
    }

    @Test func failureWithoutASessionWaitsForTheNextWelcome() {
        var s = Self.welcomed(slots: 1)
        let a = Self.job(16)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.heartbeat(.init(sessionID: "s2")), now: 0.2)   // coordinator restarted
        let fail = FinishedJob(assign: a, outcome: .failure(JobFailure(message: "boom", retryable: true)), wallSeconds: 0.1)
        #expect(Self.sent(s.jobFinished(fail, now: 0.3)).isEmpty)
        #expect(s.unsentFailures.count == 1)
        _ = s.tick(now: 0.3)
        guard case .hello(let h)? = Self.sent(s.connectionWritable(now: 0.3)).first else { return }
        let w = Self.sent(s.received(.welcome(.init(sessionID: "s2", nonce: h.nonce, heartbeatMs: 1000, liveness: 3)), now: 0.4))
        #expect(w == [.ready(.init(credit: 1)), .failure(.init(jobID: a.jobID, leaseID: a.leaseID, error: "boom", retryable: true))])
        // A FAILURE the socket would not take is kept for the next WELCOME too.
        let f = Message.Failure(jobID: "j", leaseID: "l", error: "e", retryable: false)
        _ = s.sendFailed(.failure(f), now: 0.5)
        #expect(s.unsentFailures == [f])
    }

    @Test func refusedHelloBacksOffAndUnsupportedKindsFailRetryably() {
        var s = WorkerSession(config: Self.config(kinds: ["noop"]), now: 0)
        _ = s.tick(now: 0)
        let hello = Self.sent(s.connectionWritable(now: 0))
        guard case .reconnect(let d)? = Self.quiet(s.sendFailed(hello[0], now: 0)).last else { Issue.record("no reconnect"); return }
        #expect(d > 0)
        var k = WorkerSession(config: Self.config(slots: 1, kinds: ["synthetic"]), now: 0)
        _ = k.tick(now: 0)
        guard case .hello(let h)? = Self.sent(k.connectionWritable(now: 0)).first else { return }
        _ = k.received(.welcome(.init(sessionID: "s", nonce: h.nonce, heartbeatMs: 1000, liveness: 3)), now: 0)
        let a = Self.job(17)
        let acts = k.received(.assign(a), now: 0.1)
        #expect(Self.started(acts).isEmpty)
        guard case .failure(let f)? = Self.sent(acts).first else { Issue.record("no FAILURE: \(acts)"); return }
        #expect(f.retryable && f.error.contains("not supported"))
        #expect(Self.sent(acts).last == .ready(.init(credit: 1)))
    }

    @Test func idleWithoutCoordinatorOrJobExits() {
        var s = WorkerSession(config: Self.config(idle: 10), now: 0)
        _ = s.tick(now: 0)
        _ = s.connectionWritable(now: 0)
        var t = 0.0
        var end: [Action] = []
        while end.isEmpty, t < 30 {
            t += 0.5
            end = Self.quiet(s.tick(now: t)).filter { if case .exit = $0 { true } else { false } }
        }
        #expect(end.count == 1 && t >= 10 && t <= 10.5, "exited at \(t)")
        #expect(s.nextDeadline(now: 0) <= 10)
    }

    /// Random event runs against invariants: a job is never started twice while held, never
    /// both running and queued, slots are never exceeded. Prints the failing seed.
    @Test func randomEventRunsKeepTheBookkeepingConsistent() {
        for seed in UInt64(1)...60 {
            var rng = Xoshiro256(seed: seed)
            var s = Self.welcomed(slots: 2)
            var t = 0.0
            var threads: [Message.Assign] = []
            var sessionNonce = ""
            for _ in 0..<200 {
                t += rng.uniform() * 0.7
                var acts: [Action] = []
                switch rng.next() % 8 {
                case 0, 1: acts = s.received(.assign(Self.job(Int(rng.next() % 6))), now: t)
                case 2: if !threads.isEmpty { acts = s.jobFinished(Self.finished(threads.remove(at: Int(rng.next() % UInt64(threads.count)))), now: t) }
                case 3: acts = s.received(.ack(.init(jobID: Self.job(Int(rng.next() % 6)).jobID)), now: t)
                case 4: acts = s.received(.heartbeat(.init(sessionID: rng.next() % 5 == 0 ? "other" : "s1")), now: t)
                case 5: acts = s.tick(now: t)
                case 6: acts = s.connectionWritable(now: t)
                default:
                    acts = s.received(.welcome(.init(sessionID: "s1", nonce: sessionNonce, heartbeatMs: 1000, liveness: 3)), now: t)
                }
                for a in acts {
                    if case .startJob(let j) = a {
                        #expect(!threads.contains { $0.jobID == j.jobID }, "seed \(seed): \(j.jobID) started twice")
                        threads.append(j)
                    }
                    if case .send(.hello(let h)) = a { sessionNonce = h.nonce }
                }
                #expect(s.running.count <= 2, "seed \(seed)")
                // A job both running and queued is one assigned again while its unwanted run ends.
                #expect(Set(s.running.keys).intersection(s.backlog.map(\.jobID)).isSubset(of: s.unwanted), "seed \(seed)")
                #expect(Set(threads.map(\.jobID)) == Set(s.running.keys), "seed \(seed)")
                if s.isOver { break }
            }
        }
    }
}

/// CANCEL on the worker: a running job is asked to stop and its end is not reported; a queued
/// one is dropped; a job assigned again while its stopped run ends waits for it.
@Suite struct WorkerSessionCancelTests {
    typealias T = WorkerSessionTests

    @Test func cancelStopsARunningJobAndFreesItsSlotWithoutAReport() {
        var s = T.welcomed(slots: 1)
        let a = T.job(30), b = T.job(31)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.assign(b), now: 0.1)   // queued behind a
        let acts = s.received(.cancel(.init(jobs: [a.jobID, b.jobID, "unknown"], reason: "cancelled")), now: 0.2)
        #expect(T.quiet(acts) == [.cancelJob(a.jobID)])   // b dropped from the queue; no slot free yet
        #expect(s.backlog.isEmpty && s.unwanted == [a.jobID])
        // The job notices and ends (with JobCancelled, a failure): nothing is reported, the slot is offered.
        let end = FinishedJob(assign: a, outcome: .failure(JobFailure(message: "cancelled", retryable: true)), wallSeconds: 0.3)
        #expect(T.sent(s.jobFinished(end, now: 0.5)) == [.ready(.init(credit: 1))])
        #expect(s.running.isEmpty && s.unwanted.isEmpty && s.unsentFailures.isEmpty)
        // A second CANCEL of the same job, or of one never seen, changes nothing.
        #expect(T.quiet(s.received(.cancel(.init(jobs: [a.jobID], reason: "cancelled")), now: 0.6)).isEmpty)
    }

    @Test func aCancelledFinishedResultIsForgottenNotResent() {
        var s = T.welcomed(slots: 1)
        let a = T.job(32)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.jobFinished(T.finished(a), now: 0.2)
        #expect(s.unackedCount == 1)
        _ = s.received(.cancel(.init(jobs: [a.jobID], reason: "cancelled")), now: 0.3)
        #expect(s.unackedCount == 0)
    }

    @Test func reassignedWhileItsStoppedRunEndsRunsAfterIt() {
        var s = T.welcomed(slots: 1)
        let a = T.job(33)
        _ = s.received(.assign(a), now: 0.1)
        _ = s.received(.cancel(.init(jobs: [a.jobID], reason: "timed out after 5 s")), now: 5.1)
        let again = T.job(33, lease: "second")
        #expect(T.started(s.received(.assign(again), now: 6)).isEmpty)
        let end = FinishedJob(assign: a, outcome: .failure(JobFailure(message: "cancelled", retryable: true)), wallSeconds: 5)
        let next = s.jobFinished(end, now: 6.1)
        #expect(T.started(next) == [again.jobID])
        // Its result carries the new lease.
        guard case .result(let r)? = T.sent(s.jobFinished(T.finished(again), now: 7)).first else { Issue.record("no result"); return }
        #expect(r.leaseID == again.leaseID)
    }
}
