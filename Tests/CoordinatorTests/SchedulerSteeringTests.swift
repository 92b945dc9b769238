import Shared
import Testing
@testable import Coordinator

/// Pause, resume, cancel and the per-job time limit, with a fake clock.
@Suite struct SchedulerSteeringTests {
    typealias Action = Scheduler.Action

    static func assigned(_ actions: [Action]) -> [String] {
        actions.compactMap { if case let .assign(j, _, _, _) = $0 { j } else { nil } }
    }
    static func lease(_ actions: [Action], _ job: String) -> String? {
        actions.compactMap { if case let .assign(j, _, l, _) = $0, j == job { l } else { nil } }.first
    }

    @Test func pausedJobsAreNotHandedOutAndResumeHandsThemOut() {
        var s = SchedulerTests.make(jobs: 4)
        _ = s.setPaused(["j1", "j2", "j3"], now: 0)
        #expect(s.progress.pending == 1 && s.progress.paused == 3)
        let a = s.hello(worker: "A", slots: 4, kinds: Scheduler.everyKind, now: 0)
        #expect(Self.assigned(a) == ["j4"])
        let done = s.result(worker: "A", jobID: "j4", leaseID: Self.lease(a, "j4")!, now: 1)
        #expect(Self.assigned(done).isEmpty)
        #expect(!s.progress.isFinished)   // paused jobs keep the sweep open
        #expect(s.invariantViolations().isEmpty)
        // Resume two of them: they go out at once, the third stays paused.
        let resumed = s.setPaused(["j2"], now: 2)
        #expect(Set(Self.assigned(resumed)) == ["j1", "j3"])
        #expect(s.progress.paused == 1 && s.progress.running == 2)
        #expect(Self.assigned(s.setPaused([], now: 3)) == ["j2"])
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func aRunningJobFinishesUnderPauseAndOneThatComesBackWaits() {
        var s = SchedulerTests.make(jobs: 2)
        let a = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(Self.assigned(a) == ["j1"])
        _ = s.setPaused(["j1", "j2"], now: 0.5)
        #expect(s.progress.running == 1 && s.progress.paused == 1)
        // Its worker hands it back: it is paused, not handed out again.
        let back = s.disconnect(worker: "A", handedBack: ["j1"], now: 1)
        #expect(back.contains(.requeue(jobID: "j1", reason: .handedBack(worker: "A"))))
        #expect(s.progress.paused == 2 && s.progress.pending == 0)
        #expect(Self.assigned(s.hello(worker: "B", slots: 2, kinds: Scheduler.everyKind, now: 2)).isEmpty)
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func cancelStopsRunningJobsAndNeverRunsPendingOnes() {
        var s = SchedulerTests.make(jobs: 4)
        let a = s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0)
        #expect(Self.assigned(a) == ["j1", "j2"])
        _ = s.setPaused(["j4"], now: 0)
        let acts = s.cancel(["j1", "j3", "j4", "nope"], now: 1)
        #expect(acts.contains(.stopOnWorker(jobID: "j1", worker: "A", reason: "cancelled")))
        #expect(acts.filter { if case .markCancelled = $0 { true } else { false } }
                == [.markCancelled(jobID: "j1"), .markCancelled(jobID: "j3"), .markCancelled(jobID: "j4")])
        // The stopped slot is not offered until the worker says it is free.
        #expect(Self.assigned(acts).isEmpty)
        #expect(s.progress.cancelled == 3 && s.progress.running == 1 && s.progress.pending == 0)
        #expect(s.progress.isFinished == false)
        // A result for the cancelled job is acknowledged, not committed.
        #expect(s.result(worker: "A", jobID: "j1", leaseID: Self.lease(a, "j1")!, now: 2) == [.ack(worker: "A", jobID: "j1", reason: .late)])
        // Cancelling again, or a done job, changes nothing.
        _ = s.result(worker: "A", jobID: "j2", leaseID: Self.lease(a, "j2")!, now: 3)
        #expect(s.cancel(["j1", "j2"], now: 4).isEmpty)
        #expect(s.progress.isFinished && s.progress.done == 1)
        // A worker that says hello listing the cancelled job is told to drop it.
        #expect(s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, running: ["j1"], now: 5)
                .contains(.ack(worker: "A", jobID: "j1", reason: .stale)))
        #expect(s.invariantViolations().isEmpty)
    }

    @Test func cancelledJobsAtStartCountAndAreNeverHandedOut() {
        var s = Scheduler(configuration: .init(sessionID: "s"), pending: [.init(id: "j2", kind: .noop)], done: [String](),
                          cancelled: ["j1"])
        #expect(s.progress.total == 2 && s.progress.cancelled == 1)
        #expect(Self.assigned(s.hello(worker: "A", slots: 2, kinds: Scheduler.everyKind, now: 0)) == ["j2"])
    }

    @Test func aJobPastItsTimeLimitIsStoppedRetriedThenFailed() {
        var s = Scheduler(configuration: .init(heartbeatInterval: 1, liveness: 3, sessionID: "s", jobTimeout: 10, timeoutRetries: 1),
                          pending: [.init(id: "j1", kind: .noop), .init(id: "j2", kind: .noop)], done: [String]())
        _ = s.hello(worker: "A", slots: 1, kinds: Scheduler.everyKind, now: 0)
        #expect(s.nextTimerDue ?? 99 <= 3)
        // Heartbeats keep the lease alive; the limit still ends the run.
        for t in 1...10 { _ = s.heartbeat(worker: "A", running: ["j1"], now: Double(t)) }
        #expect(!s.tick(now: 10).contains { if case .stopOnWorker = $0 { true } else { false } })
        let over = s.tick(now: 10.01)
        #expect(over.contains(.stopOnWorker(jobID: "j1", worker: "A", reason: "timed out after 10 s")))
        #expect(over.contains(.requeue(jobID: "j1", reason: .timedOut(seconds: 10, attempt: 1))))
        // The worker still runs it until it stops: no new lease until it says a slot is free.
        #expect(Self.assigned(over).isEmpty)
        let next = s.credit(worker: "A", free: 1, now: 10.5)
        #expect(Self.assigned(next) == ["j2"])   // j1 went to the back of the queue
        _ = s.result(worker: "A", jobID: "j2", leaseID: Self.lease(next, "j2")!, now: 11)
        // j2's result frees the slot, j1 goes out again (second run)...
        var t = 11.0
        while s.progress.failed == 0, t < 40 {
            t += 1
            _ = s.heartbeat(worker: "A", running: ["j1"], now: t)
            let acts = s.tick(now: t + 0.5)
            if let f = acts.first(where: { if case .markFailed = $0 { true } else { false } }) {
                #expect(f == .markFailed(jobID: "j1", error: "timed out after 10 s (2 runs, every one timed out)"))
            }
        }
        #expect(s.progress.failed == 1 && s.progress.done == 1 && s.progress.isFinished)
        #expect(s.invariantViolations().isEmpty)
    }
}
