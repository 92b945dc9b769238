import Shared
import Testing
@testable import Coordinator

/// Fake-clock tests of the scheduler rules. No sockets: events in, actions checked.
@Suite struct SchedulerTests {
    typealias Action = Scheduler.Action

    static func make(jobs n: Int, done: [String] = [], liveness: Int = 3, maxAttempts: Int = 3,
                     kind: JobKind = .noop) -> Scheduler {
        let pending = (1...max(n, 1)).prefix(n).map { Scheduler.PendingJob(id: "j\($0)", kind: kind) }
        return Scheduler(configuration: .init(liveness: liveness, maxAttempts: maxAttempts, sessionID: "s"),
                         pending: pending, done: done)
    }

    static func assignments(_ actions: [Action]) -> [(job: String, worker: String, lease: String)] {
        actions.compactMap { if case let .assign(j, w, l, _) = $0 { (j, w, l) } else { nil } }
    }

    @Test func helloAssignsUpToSlotsRoundRobin() {
        var s = Self.make(jobs: 5)
        let a = Self.assignments(s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0))
        #expect(a.map(\.job) == ["j1", "j2"])
        #expect(a.map(\.lease) == ["s-1", "s-2"])
        let b = Self.assignments(s.hello(worker: "B", slots: 2, kinds: Scheduler.everyKind, now: 0))
        #expect(b.map(\.job) == ["j3", "j4"])
        #expect(s.progress == .init(total: 5, done: 0, pending: 1, running: 4, failed: 0, workersAlive: 2))
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func resultCommitsFreesSlotAndNextJobGoesOut() {
        var s = Self.make(jobs: 3)
        let a = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))
        let acts = s.result(worker: "A", jobID: "j1", leaseID: a[0].lease, now: 0.5)
        #expect(acts.first == .commitResult(jobID: "j1", leaseID: "s-1", worker: "A"))
        #expect(Self.assignments(acts).map(\.job) == ["j2"])
        #expect(s.progress.done == 1)
    }

    @Test func doneJobsAtStartAreNeverHandedOut() {
        var s = Scheduler(configuration: .init(sessionID: "s"),
                          pending: [.init(id: "j1", kind: .noop), .init(id: "j2", kind: .noop)], done: ["j1"])
        let a = Self.assignments(s.hello(worker: "A", slots: 4, kinds: Scheduler.everyKind, now: 0))
        #expect(a.map(\.job) == ["j2"])
        // The total counts the done job too: a resumed sweep shows "1/2 done", not "1/1" while j2 runs
        // (it used to count only what was left to run, so a resumed store printed "427/185 done (230.8%)").
        #expect(s.progress.total == 2 && s.progress.done == 1 && s.progress.running == 1)
        var f = Scheduler(configuration: .init(sessionID: "s"), pending: [.init(id: "j3", kind: .noop)], done: ["j1"], failed: ["j2"])
        #expect(f.progress == .init(total: 3, done: 1, pending: 1, running: 0, failed: 1, workersAlive: 0))
        _ = f.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(f.invariantViolations().isEmpty)
    }

    @Test func leaseExpiresWithoutHeartbeatListingItAndIsRequeued() {
        var s = Self.make(jobs: 1)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        _ = s.heartbeat(worker: "A", running: [], now: 1)
        _ = s.heartbeat(worker: "A", running: [], now: 2)
        #expect(!s.tick(now: 3.0).contains { if case .requeue = $0 { true } else { false } })
        _ = s.heartbeat(worker: "A", running: [], now: 3)
        let acts = s.tick(now: 3.01)
        #expect(acts.contains(.requeue(jobID: "j1", reason: .leaseExpired)))
        // The worker is alive with room again, so the job goes straight back out under a new lease.
        #expect(Self.assignments(acts).map(\.lease) == ["s-2"])
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func aJobThatLosesTooManyLeasesFailsWithAReasonInWords() {
        var c = Scheduler.Configuration(sessionID: "s")
        c.maxLeaseLosses = 1
        var s = Scheduler(configuration: c, pending: [.init(id: "j1", kind: .noop)], done: [])
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        for t in [1.0, 2, 3] { _ = s.heartbeat(worker: "A", running: [], now: t) }
        let acts = s.tick(now: 3.01)
        #expect(acts.contains(.markFailed(jobID: "j1", error: "lost its lease 1 times (last: lease expired); "
            + "the job may be killing or stalling its workers")), "\(acts)")
        // Every reason reads as words, not as a Swift enum case.
        #expect([Scheduler.RequeueReason.failed(message: "boom", attempt: 2), .leaseExpired, .workerDead(worker: "w1"),
                  .workerRestarted(worker: "w1"), .handedBack(worker: "w1"), .timedOut(seconds: 60, attempt: 1)].map(\.description)
                == ["failed on attempt 2: boom", "lease expired", "worker w1 declared dead", "worker w1 restarted",
                    "handed back by worker w1", "timed out after 60 s (attempt 1)"])
    }

    @Test func heartbeatListingTheJobKeepsTheLeaseAlive() {
        var s = Self.make(jobs: 1)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        for t in 1...20 {
            _ = s.heartbeat(worker: "A", running: ["j1"], now: Double(t))
            #expect(s.tick(now: Double(t) + 0.5).allSatisfy { if case .sendHeartbeat = $0 { true } else { false } })
        }
        #expect(s.progress.running == 1)
    }

    @Test func silentWorkerIsDeclaredDeadAndItsJobsGoElsewhere() {
        var s = Self.make(jobs: 2)
        _ = s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0)
        _ = s.hello(worker: "B", slots: 2, kinds: Scheduler.everyKind, now: 0)
        for t in 1...3 { _ = s.heartbeat(worker: "B", running: [], now: Double(t)) }
        #expect(!s.tick(now: 3.0).contains(.workerDead(worker: "A")))  // exactly 3 s silent: not yet
        let acts = s.tick(now: 3.1)
        #expect(acts.contains(.workerDead(worker: "A")))
        #expect(acts.contains(.requeue(jobID: "j1", reason: .workerDead(worker: "A"))))
        #expect(Set(Self.assignments(acts).map(\.job)) == ["j1", "j2"])
        #expect(Self.assignments(acts).allSatisfy { $0.worker == "B" })
        #expect(s.progress.workersAlive == 1)
        // The dead worker's heartbeat is now from a stranger: it must say hello again.
        #expect(s.heartbeat(worker: "A", running: ["j1"], now: 4) == [.reject(worker: "A", reason: .unknownWorker)])
    }

    @Test func anyMessageCountsAsHeartbeat() {
        var s = Self.make(jobs: 0)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        s.touch(worker: "A", now: 2.5)
        #expect(!s.tick(now: 5).contains(.workerDead(worker: "A")))
        #expect(s.tick(now: 5.6).contains(.workerDead(worker: "A")))
    }

    @Test func coordinatorHeartbeatsWhenItSentNothingForAnInterval() {
        var s = Self.make(jobs: 0)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(s.tick(now: 0.5).isEmpty)
        #expect(s.tick(now: 1.0) == [.sendHeartbeat(worker: "A")])
        #expect(s.tick(now: 1.5).isEmpty)
    }

    @Test func retryableFailureIsRetriedThenMarkedFailedWithItsError() {
        var s = Self.make(jobs: 1, maxAttempts: 3)
        var lease = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        for attempt in 1...2 {
            let acts = s.failure(worker: "A", jobID: "j1", leaseID: lease, message: "boom \(attempt)", retryable: true, now: 1)
            #expect(acts.contains(.requeue(jobID: "j1", reason: .failed(message: "boom \(attempt)", attempt: attempt))))
            #expect(!acts.contains { if case .ack = $0 { true } else { false } }, "FAILURE is never acknowledged")
            lease = Self.assignments(acts)[0].lease
        }
        let acts = s.failure(worker: "A", jobID: "j1", leaseID: lease, message: "boom 3", retryable: true, now: 2)
        #expect(acts == [.markFailed(jobID: "j1", error: "boom 3")])
        #expect(s.progress.failed == 1 && s.progress.isFinished)
        // The sweep goes on: a late result for the failed job changes nothing.
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 3) == [.ack(worker: "A", jobID: "j1", reason: .late)])
    }

    /// Leases of an earlier coordinator session: a hello listing jobs that are stored, failed for
    /// good or not in the sweep gets each acknowledged (drop it), and pending ones are left alone.
    @Test func helloListingJobsNoLongerWantedGetsThemAcknowledged() {
        var s = Scheduler(configuration: .init(sessionID: "s"), pending: [.init(id: "j1", kind: .noop)],
                          done: ["d1"], failed: ["f1"])
        let acts = s.hello(worker: "A", slots: 1, kinds: [], running: ["d1", "f1", "j1", "zz"], now: 0)
        #expect(acts == [.ack(worker: "A", jobID: "d1", reason: .stale), .ack(worker: "A", jobID: "f1", reason: .stale),
                         .reject(worker: "A", reason: .unknownJob(jobID: "zz"))])
        #expect(s.invariantViolations().isEmpty)
    }

    /// Only a lease holder's RESULT counts (PROTOCOL.md 8.3): job ids are a public hash of the
    /// spec, so a result from a worker that never held the job is refused, not stored, and one
    /// from a worker without a session is answered hello-required.
    @Test func onlyALeaseHoldersResultIsCommitted() {
        var s = Self.make(jobs: 2)
        let a = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0]
        _ = s.hello(worker: "F", slots: 1, kinds: [], now: 0)   // a session, but never a lease
        #expect(s.result(worker: "nobody", jobID: a.job, leaseID: a.lease, now: 1) == [.reject(worker: "nobody", reason: .unknownWorker)])
        #expect(s.result(worker: "F", jobID: a.job, leaseID: a.lease, now: 1) == [.ack(worker: "F", jobID: a.job, reason: .refused)])
        #expect(s.result(worker: "F", jobID: "j2", leaseID: "s-9", now: 1) == [.ack(worker: "F", jobID: "j2", reason: .refused)])
        #expect(s.progress.done == 0 && s.progress.pending == 1)
        // The holder's result counts under any lease id it names (it may be an earlier lease of its own).
        #expect(s.result(worker: "A", jobID: a.job, leaseID: "old", now: 2).first == .commitResult(jobID: a.job, leaseID: "old", worker: "A"))
        #expect(s.invariantViolations().isEmpty)
    }

    /// A pending job's result counts from a worker that held its lease earlier in this life, or
    /// held its last lease before the coordinator restarted (`priorHolders`), and from nobody else.
    @Test func earlierAndPriorHoldersResultsCountForPendingJobs() {
        var s = Scheduler(configuration: .init(liveness: 3, sessionID: "s"),
                          pending: [.init(id: "j1", kind: .noop), .init(id: "j2", kind: .noop)], done: [String](),
                          priorHolders: ["j2": "P"])
        _ = s.hello(worker: "P", slots: 1, kinds: [], now: 0)
        _ = s.hello(worker: "Q", slots: 1, kinds: [], now: 0)
        #expect(s.result(worker: "Q", jobID: "j2", leaseID: "x", now: 1) == [.ack(worker: "Q", jobID: "j2", reason: .refused)])
        #expect(s.result(worker: "P", jobID: "j2", leaseID: "x", now: 1).first == .commitResult(jobID: "j2", leaseID: "x", worker: "P"))
        let a = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 1))[0]
        #expect(a.job == "j1")
        _ = s.disconnect(worker: "A", handedBack: ["j1"], now: 2)   // j1 pending again
        _ = s.hello(worker: "A", slots: 1, kinds: [], now: 2)
        #expect(s.result(worker: "A", jobID: "j1", leaseID: a.lease, now: 3).first == .commitResult(jobID: "j1", leaseID: a.lease, worker: "A"))
        #expect(s.progress.done == 2 && s.invariantViolations().isEmpty)
    }

    @Test func nonRetryableFailureFailsAtOnce() {
        var s = Self.make(jobs: 1)
        let lease = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        let acts = s.failure(worker: "A", jobID: "j1", leaseID: lease, message: "bad spec", retryable: false, now: 1)
        #expect(acts.first == .markFailed(jobID: "j1", error: "bad spec"))
    }

    @Test func duplicateResultIsAckedNotCommittedTwice() {
        var s = Self.make(jobs: 1)
        let lease = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 1) == [.commitResult(jobID: "j1", leaseID: lease, worker: "A")])
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 2) == [.ack(worker: "A", jobID: "j1", reason: .duplicate)])
        #expect(s.progress.done == 1)
    }

    @Test func resultForUnknownJobIsRejectedWithoutCrash() {
        var s = Self.make(jobs: 1)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(s.result(worker: "A", jobID: "nope", leaseID: "s-1", now: 1) == [.reject(worker: "A", reason: .unknownJob(jobID: "nope"))])
        #expect(s.failure(worker: "Z", jobID: "nope", leaseID: "x", message: "m", retryable: true, now: 1)
                == [.reject(worker: "Z", reason: .unknownWorker)])
        #expect(s.credit(worker: "Z", free: 3, now: 1) == [.reject(worker: "Z", reason: .unknownWorker)])
        #expect(s.disconnect(worker: "Z", handedBack: ["j1"], now: 1).isEmpty)
        #expect(s.hello(worker: "Z", slots: 0, kinds: Scheduler.everyKind, now: 1).first.map { if case .reject = $0 { true } else { false } } == true)
        #expect(s.progress.running == 1 && s.invariantViolations().isEmpty)
    }

    @Test func lateResultAfterReassignmentIsIgnoredAndExactlyOneCommitted() {
        var s = Self.make(jobs: 1)
        let leaseA = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        _ = s.hello(worker: "B", slots: 1, kinds: Scheduler.everyKind, now: 0)
        // A keeps heartbeating but never lists j1 (say it stalled): the lease expires, B gets it.
        for t in 1...3 { _ = s.heartbeat(worker: "A", running: [], now: Double(t)); _ = s.heartbeat(worker: "B", running: [], now: Double(t)) }
        let reassigned = Self.assignments(s.tick(now: 3.5))
        let leaseB = try! #require(reassigned.first { $0.worker == "B" }).lease
        #expect(leaseB != leaseA)
        #expect(s.result(worker: "A", jobID: "j1", leaseID: leaseA, now: 4) == [.ack(worker: "A", jobID: "j1", reason: .late)])
        #expect(s.failure(worker: "A", jobID: "j1", leaseID: leaseA, message: "x", retryable: true, now: 4).isEmpty)
        #expect(s.result(worker: "B", jobID: "j1", leaseID: leaseB, now: 5).first == .commitResult(jobID: "j1", leaseID: leaseB, worker: "B"))
        #expect(s.result(worker: "A", jobID: "j1", leaseID: leaseA, now: 6) == [.ack(worker: "A", jobID: "j1", reason: .duplicate)])
        #expect(s.progress.done == 1 && s.invariantViolations().isEmpty)
    }

    @Test func lateResultForAJobNobodyRunsIsCommitted() {
        var s = Self.make(jobs: 1)
        let lease = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        #expect(s.tick(now: 3.5).contains(.workerDead(worker: "A")))  // requeued, no worker to take it
        // A worker without a session must say hello first; then, as an earlier holder, its result counts.
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 4) == [.reject(worker: "A", reason: .unknownWorker)])
        _ = s.hello(worker: "A", slots: 1, kinds: [], now: 4)
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 4) == [.commitResult(jobID: "j1", leaseID: lease, worker: "A")])
        #expect(s.progress.isFinished && s.progress.done == 1)
        // The stale queue entry is skipped, never handed out.
        #expect(Self.assignments(s.hello(worker: "B", slots: 1, kinds: Scheduler.everyKind, now: 5)).isEmpty)
    }

    @Test func reconnectListingRunningJobsKeepsThemAndRequeuesTheRest() {
        var s = Self.make(jobs: 3)
        let a = Self.assignments(s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0))
        #expect(a.map(\.job) == ["j1", "j2"])
        let acts = s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, running: ["j1"], now: 1)
        #expect(acts.contains(.requeue(jobID: "j2", reason: .workerRestarted(worker: "A"))))
        // The freed slot takes the oldest pending job (j3, queued before j2 was requeued).
        #expect(Self.assignments(acts).map(\.job) == ["j3"])
        #expect(s.progress.workersAlive == 1 && s.progress.running == 2)
        #expect(s.result(worker: "A", jobID: "j1", leaseID: a[0].lease, now: 2).first == .commitResult(jobID: "j1", leaseID: a[0].lease, worker: "A"))
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func reconnectWithoutListKeepsLeasesUntilTheirDeadline() {
        var s = Self.make(jobs: 1)
        let lease = Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0))[0].lease
        #expect(Self.assignments(s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 1)).isEmpty)
        _ = s.heartbeat(worker: "A", running: ["j1"], now: 2)
        #expect(!s.tick(now: 4.5).contains { if case .requeue = $0 { true } else { false } })
        #expect(s.result(worker: "A", jobID: "j1", leaseID: lease, now: 4.6).first == .commitResult(jobID: "j1", leaseID: lease, worker: "A"))
    }

    @Test func disconnectHandsBackJobs() {
        var s = Self.make(jobs: 2)
        _ = s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0)
        let acts = s.disconnect(worker: "A", handedBack: ["j1", "j2"], now: 1)
        #expect(acts == [.requeue(jobID: "j1", reason: .handedBack(worker: "A")), .requeue(jobID: "j2", reason: .handedBack(worker: "A"))])
        #expect(s.progress == .init(total: 2, done: 0, pending: 2, running: 0, failed: 0, workersAlive: 0))
        #expect(Self.assignments(s.hello(worker: "B", slots: 1, kinds: Scheduler.everyKind, now: 2)).map(\.job) == ["j1"])
    }

    @Test func creditNeverPushesAWorkerPastItsSlots() {
        var s = Self.make(jobs: 10)
        #expect(Self.assignments(s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0)).count == 2)
        #expect(Self.assignments(s.credit(worker: "A", free: 5, now: 0.1)).isEmpty)  // stale credit
        // A result frees its slot by itself: no credit needed for the next job.
        #expect(Self.assignments(s.result(worker: "A", jobID: "j1", leaseID: "s-1", now: 1)).map(\.job) == ["j3"])
        #expect(Self.assignments(s.credit(worker: "A", free: 1, now: 1.1)).isEmpty)  // sent before j3 arrived
        // free 0 while holding 2 keeps capacity at 2; free 0 after a result lowers it to 1.
        _ = s.credit(worker: "A", free: 0, now: 1.2)
        _ = s.result(worker: "A", jobID: "j2", leaseID: "s-2", now: 2)  // j4 goes out: capacity is still 2
        _ = s.result(worker: "A", jobID: "j3", leaseID: "s-3", now: 2.1)  // j5 goes out
        #expect(s.progress.running == 2)
        #expect(Self.assignments(s.credit(worker: "A", free: 0, now: 2.2)).isEmpty)
        #expect(s.progress.running == 2 && s.invariantViolations().isEmpty)
    }

    @Test func jobsGoOnlyToWorkersRunningTheirKind() {
        var s = Scheduler(configuration: .init(sessionID: "s"),
                          pending: [.init(id: "t1", kind: .theorem1), .init(id: "n1", kind: .noop), .init(id: "n2", kind: .noop)],
                          done: [String]())
        #expect(Self.assignments(s.hello(worker: "N", slots: 5, kinds: [.noop], now: 0)).map(\.job) == ["n1", "n2"])
        #expect(Self.assignments(s.hello(worker: "S", slots: 5, kinds: [.synthetic], now: 0)).isEmpty)
        #expect(Self.assignments(s.hello(worker: "T", slots: 5, kinds: [.theorem1], now: 0)).map(\.job) == ["t1"])
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func jobThatKeepsKillingItsWorkersIsEventuallyFailed() {
        var s = Scheduler(configuration: .init(maxLeaseLosses: 2, sessionID: "s"), pending: [.init(id: "j1", kind: .noop)], done: [String]())
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(s.tick(now: 3.5).contains(.requeue(jobID: "j1", reason: .workerDead(worker: "A"))))
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 4)
        let acts = s.tick(now: 7.5)
        #expect(acts.contains { if case .markFailed("j1", _) = $0 { true } else { false } })
        #expect(s.progress.failed == 1)
    }

    @Test func nextTimerDueIsTheEarliestDeadline() {
        var s = Self.make(jobs: 1)
        #expect(s.nextTimerDue == nil)
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 10)
        #expect(s.nextTimerDue == 11)  // heartbeat to send
    }
}
