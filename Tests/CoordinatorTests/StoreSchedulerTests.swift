import Foundation
import Shared
import Testing
@testable import Coordinator

/// The scheduler and the store together, glued the way the coordinator loop glues them:
/// one round of events -> actions -> one `Store.apply` batch. The store must mirror the
/// scheduler's view after every round, through a worker death and a coordinator restart.
@Suite struct StoreSchedulerTests {
    /// Applies one round's actions to the store through the loop's own `RoundPlan`; returns the
    /// jobs each worker was handed (the ASSIGNs the plan sends).
    static func persist(_ actions: [Scheduler.Action], store: Store) throws -> [String: [(job: String, lease: String)]] {
        let specs = try store.specs(for: RoundPlan.jobsToSend(actions))
        let plan = RoundPlan(actions, specs: specs, hostOf: [:], sessionID: "s", now: 0)
        var handed: [String: [(String, String)]] = [:]
        for case let .send(worker, .assign(a)) in plan.beforeCommit { handed[worker, default: []].append((a.jobID, a.leaseID)) }
        #expect(plan.notes.allSatisfy { if case .missingSpec = $0 { false } else { true } })
        let report = try store.apply(plan.writes)
        #expect(report.duplicates.isEmpty && report.unknown.isEmpty)
        return handed
    }

    static func expectMirrors(_ s: Scheduler, _ store: Store) throws {
        let c = try store.counts()
        let p = s.progress
        #expect(c.pending == p.pending && c.leased == p.running && c.done == p.done && c.failed == p.failed)
    }

    @Test func storeMirrorsSchedulerThroughDeathAndRestart() throws {
        let dir = StoreTests.TempDir()
        let specs = StoreTests.specs(0..<60)
        var store = try Store(path: dir.path())
        try store.addJobs(specs, sweepName: "s", definition: "d")
        var state = try store.resumeState()
        var s = Scheduler(configuration: .init(sessionID: "one"), pending: state.pending, done: state.done)
        var running: [String: [(job: String, lease: String)]] = [:]
        var now = 0.0
        for w in ["a", "b", "c"] {
            for (k, v) in try Self.persist(s.hello(worker: w, slots: 2, kinds: Scheduler.everyKind, now: now), store: store) { running[k, default: []] += v }
        }
        // Worker "c" stops answering; "a" fails its first job once; the rest work.
        var failedOnce = false
        for _ in 0..<10 {
            now += 0.5
            var actions: [Scheduler.Action] = []
            for w in ["a", "b"] {
                for r in running[w] ?? [] {
                    if w == "a" && !failedOnce {
                        failedOnce = true
                        actions += s.failure(worker: w, jobID: r.job, leaseID: r.lease, message: "flaky", retryable: true, now: now)
                    } else {
                        actions += s.result(worker: w, jobID: r.job, leaseID: r.lease, now: now)
                    }
                }
                running[w] = []
            }
            actions += s.tick(now: now)
            for (k, v) in try Self.persist(actions, store: store) { running[k, default: []] += v }
            try Self.expectMirrors(s, store)
        }
        #expect(s.progress.workersAlive == 2)
        #expect(s.progress.done > 0 && !s.progress.isFinished)

        // The coordinator restarts mid-sweep: leases go back, done stays done.
        let doneBefore = s.progress.done
        store = try Store(path: dir.path(), create: false)
        state = try store.resumeState()
        #expect(state.done.count == doneBefore && state.pending.count == 60 - doneBefore)
        s = Scheduler(configuration: .init(sessionID: "two"), pending: state.pending, done: state.done)
        running = try Self.persist(s.hello(worker: "a", slots: 4, kinds: Scheduler.everyKind, now: 0), store: store)
        now = 0
        while !s.progress.isFinished {
            now += 0.5
            var actions: [Scheduler.Action] = []
            for r in running["a"] ?? [] { actions += s.result(worker: "a", jobID: r.job, leaseID: r.lease, now: now) }
            running = try Self.persist(actions, store: store)
            try Self.expectMirrors(s, store)
            #expect(now < 100)
        }
        #expect(try store.allResults().count == 60)
        #expect(try store.counts().done == 60)
    }
}
