import Foundation
import Shared
import Testing
@testable import Coordinator

/// The one mapping from a round's scheduler actions to sends, store writes and ACKs that the
/// coordinator loop executes (no twin of it anywhere).
@Suite struct RoundPlanTests {
    static let spec = JobSpec(noop: NoopSpec(token: 1))

    @Test func everyActionMapsToItsSendWriteOrAck() {
        let ok = Scheduler.testResult(jobID: "j2", leaseID: "l2", worker: "A")
        var noHost = Scheduler.testResult(jobID: "j3", leaseID: "l3", worker: "B")
        noHost.provenance.host = ""
        let actions: [Scheduler.Action] = [
            .assign(jobID: Self.spec.id, worker: "A", leaseID: "s-1", deadline: 13.5),
            .commitResult(ok, worker: "A"),
            .ack(worker: "B", jobID: "j9", reason: .duplicate),
            .commitResult(noHost, worker: "B"),
            .requeue(jobID: "j4", reason: .failed(message: "flaky", attempt: 1)),
            .requeue(jobID: "j5", reason: .leaseExpired),
            .markFailed(jobID: "j6", error: "boom"),
            .sendHeartbeat(worker: "C"),
            .workerDead(worker: "D"),
            .reject(worker: "E", reason: .unknownWorker),
            .reject(worker: "F", reason: .unknownJob(jobID: "zz")),
        ]
        let plan = RoundPlan(actions, specs: [Self.spec.id: Self.spec], hostOf: ["B": "hostB"], sessionID: "sess", now: 10)
        #expect(plan.beforeCommit == [
            .send(worker: "A", .assign(.init(jobID: Self.spec.id, leaseID: "s-1", spec: Self.spec, leaseMs: 3500))),
            .send(worker: "C", .heartbeat(.init(sessionID: "sess"))),
            .forget(worker: "D"),
            .send(worker: "E", .error(.init(code: "hello-required", message: "unknown worker: send HELLO first"))),
        ])
        var filled = noHost.provenance
        filled.host = "hostB"
        #expect(plan.writes == [
            .lease(LeaseGrant(jobID: Self.spec.id, leaseID: "s-1", worker: "A")),
            .result(ResultCommit(jobID: "j2", leaseID: "l2", outcome: ok.outcome, provenance: ok.provenance)),
            .result(ResultCommit(jobID: "j3", leaseID: "l3", outcome: noHost.outcome, provenance: filled)),
            .failure(jobID: "j4", message: "flaky", final: false),
            .requeue(jobID: "j5", cause: .leaseExpired),
            .failure(jobID: "j6", message: "boom", final: true),
        ])
        // ACKs in action order, after the commit: a later .ack never overtakes an earlier commit.
        #expect(plan.acksAfterCommit.map { "\($0.worker):\($0.jobID)" } == ["A:j2", "B:j9", "B:j3", "F:zz"])
        #expect(plan.notes == [
            .duplicateResult(jobID: "j9"), .requeued(jobID: "j4", reason: .failed(message: "flaky", attempt: 1)),
            .requeued(jobID: "j5", reason: .leaseExpired),
            .failedForGood(jobID: "j6", error: "boom"), .workerDead(worker: "D"), .unknownJob(worker: "F", jobID: "zz"),
        ])
    }

    @Test func anAssignWithoutASpecIsWrittenButNotSent() {
        let plan = RoundPlan([.assign(jobID: "gone", worker: "A", leaseID: "s-1", deadline: 1)], specs: [:], hostOf: [:], sessionID: "s", now: 5)
        #expect(plan.beforeCommit.isEmpty)
        #expect(plan.writes == [.lease(LeaseGrant(jobID: "gone", leaseID: "s-1", worker: "A"))])
        #expect(plan.notes == [.missingSpec(jobID: "gone")])
        #expect(RoundPlan.jobsToSend([.assign(jobID: "gone", worker: "A", leaseID: "s-1", deadline: 1), .sendHeartbeat(worker: "A")]) == ["gone"])
    }

    /// A late, refused or stale result is acknowledged and never written.
    @Test func acksWithoutCommitWriteNothing() {
        let plan = RoundPlan([.ack(worker: "A", jobID: "j1", reason: .late), .ack(worker: "B", jobID: "j2", reason: .refused),
                              .ack(worker: "C", jobID: "j3", reason: .stale)], specs: [:], hostOf: [:], sessionID: "s", now: 0)
        #expect(plan.writes.isEmpty && plan.beforeCommit.isEmpty)
        #expect(plan.acksAfterCommit.map(\.jobID) == ["j1", "j2", "j3"])
        #expect(plan.notes == [.lateResult(jobID: "j1"), .refusedResult(worker: "B", jobID: "j2"), .staleJob(worker: "C", jobID: "j3")])
    }
}

/// Each way the scheduler takes a lease back is written with its cause, which ends the lease in
/// the store's history; an assignment records the worker's host.
@Suite struct RoundPlanLeaseTests {
    @Test func requeueReasonsBecomeLeaseCausesAndLeasesCarryTheHost() {
        let plan = RoundPlan([
            .assign(jobID: "j0", worker: "A", leaseID: "s-1", deadline: 3),
            .assign(jobID: "j9", worker: "Z", leaseID: "s-2", deadline: 3),
            .requeue(jobID: "j1", reason: .leaseExpired),
            .requeue(jobID: "j2", reason: .workerDead(worker: "A")),
            .requeue(jobID: "j3", reason: .workerRestarted(worker: "A")),
            .requeue(jobID: "j4", reason: .handedBack(worker: "A")),
            .requeue(jobID: "j5", reason: .timedOut(seconds: 2.5, attempt: 2)),
            .requeue(jobID: "j6", reason: .failed(message: "flaky", attempt: 1)),
        ], specs: [:], hostOf: ["A": "hostA"], sessionID: "s", now: 0)
        #expect(plan.writes == [
            .lease(LeaseGrant(jobID: "j0", leaseID: "s-1", worker: "A", host: "hostA")),
            .lease(LeaseGrant(jobID: "j9", leaseID: "s-2", worker: "Z", host: nil)),
            .requeue(jobID: "j1", cause: .leaseExpired),
            .requeue(jobID: "j2", cause: .workerDead),
            .requeue(jobID: "j3", cause: .workerRestarted),
            .requeue(jobID: "j4", cause: .handedBack),
            .requeue(jobID: "j5", cause: .timedOut(seconds: 2.5, attempt: 2)),
            .failure(jobID: "j6", message: "flaky", final: false),
        ])
        #expect(RequeueCause.timedOut(seconds: 2.5, attempt: 2).description == "timed out after 2.5 s")
        #expect(RequeueCause.timedOut(seconds: 2.5, attempt: 2).lastError == "timed out after 2.5 s (attempt 2)")
        #expect(RequeueCause.timedOut(seconds: 60, attempt: 1).lastError == "timed out after 60 s (attempt 1)")
        #expect([RequeueCause.leaseExpired, .workerDead, .handedBack, .workerRestarted, .coordinatorRestarted].map(\.description)
                == ["lease expired", "worker dead", "handed back", "worker restarted", "coordinator restarted"])
    }
}

@Suite struct RoundPlanSteeringTests {
    @Test func stopsCancelsAndTimeoutsMapToCancelMessagesAndWrites() {
        let plan = RoundPlan([
            .stopOnWorker(jobID: "j1", worker: "A", reason: "cancelled"),
            .markCancelled(jobID: "j1"),
            .stopOnWorker(jobID: "j2", worker: "B", reason: "timed out after 60 s"),
            .requeue(jobID: "j2", reason: .timedOut(seconds: 60, attempt: 1)),
        ], specs: [:], hostOf: [:], sessionID: "s", now: 0)
        #expect(plan.beforeCommit == [
            .send(worker: "A", .cancel(.init(jobs: ["j1"], reason: "cancelled"))),
            .send(worker: "B", .cancel(.init(jobs: ["j2"], reason: "timed out after 60 s"))),
        ])
        #expect(plan.writes == [.cancel(jobID: "j1"), .requeue(jobID: "j2", cause: .timedOut(seconds: 60, attempt: 1))])
        #expect(plan.acksAfterCommit.isEmpty)
    }
}
