import Foundation
import GRDB
import Shared
import Testing
@testable import Coordinator

/// The store-level steering API that `pause`, `resume` and `cancel` (and later HTTP) call.
@Suite struct StoreSteeringTests {
    static func store(_ dir: StoreTests.TempDir) throws -> (Store, [JobSpec]) {
        let store = try Store(path: dir.path())
        let specs = [ModelKind.rnn, .urnn, .lstm].flatMap { m in [2, 14].map { JobSpec(synthetic: SyntheticSpec(model: m, hidden: $0)) } }
        try store.addJobs(specs, sweepName: "grid", definition: "d")
        try store.addJobs(StoreTests.specs(0..<3), sweepName: "other", definition: "d")
        return (store, specs)
    }

    @Test func pauseAndResumeRulesSelectBySweepAndFields() throws {
        let dir = StoreTests.TempDir()
        let (store, specs) = try Self.store(dir)
        #expect(try store.steeredJobs() == SteeredJobs())
        let v0 = try store.steeringVersion()
        let lstm = try store.pause(sweep: "grid", where: JobFilter(parsing: "model=lstm"))
        #expect(lstm.matching == 2 && lstm.rule?.verb == .pause)
        try store.pause(sweep: nil, where: JobFilter(parsing: "model=rnn,hidden=14"))
        #expect(try store.steeringVersion() != v0)
        let lstmIDs = Set(specs.filter { $0.synthetic!.model == .lstm }.map(\.id))
        let rnn14 = specs.first { $0.synthetic!.model == .rnn && $0.synthetic!.hidden == 14 }!.id
        #expect(try store.steeredJobs().paused == lstmIDs.union([rnn14]))
        // resume --where model=rnn lifts the narrower rnn,14 rule but not the lstm one.
        let r = try store.resume(sweep: nil, where: JobFilter(parsing: "model=rnn"))
        #expect(r.removed.map(\.filter.description) == ["model=rnn,hidden=14"])
        #expect(try store.steeredJobs().paused == lstmIDs)
        // resume of another sweep lifts nothing; plain resume lifts everything.
        #expect(try store.resume(sweep: "other", where: .all).removed.isEmpty)
        #expect(try store.resume(sweep: nil, where: .all).removed.count == 1)
        #expect(try store.steeredJobs().paused.isEmpty && store.steeringRules().isEmpty)
    }

    @Test func cancelMarksJobsAtOnceOnlyWhenAskedAndNeverTouchesDoneOnes() throws {
        let dir = StoreTests.TempDir()
        let (store, specs) = try Self.store(dir)
        let lstm = specs.filter { $0.synthetic!.model == .lstm }
        try store.commitResults([StoreTests.result(lstm[0])])
        let later = try store.cancel(sweep: "grid", where: JobFilter(parsing: "model=lstm"), applyNow: false)
        #expect(later.matching == 1 && later.cancelledNow == 0)
        #expect(try store.counts().cancelled == 0)
        #expect(try store.steeredJobs().cancelled == [lstm[1].id])
        let now = try store.cancel(sweep: "grid", where: JobFilter(parsing: "hidden=2"), applyNow: true)
        #expect(now.cancelledNow == 3)   // rnn 2, urnn 2, and lstm 14 from the first rule; lstm 2 is done
        let c = try store.counts()
        #expect(c.cancelled == 3 && c.done == 1 && c.total == 9)
        let resume = try store.resumeState()
        #expect(Set(resume.cancelled) == Set(try store.steeredJobs().cancelled).union(resume.cancelled))
        #expect(resume.cancelled.count == 3 && !resume.pending.contains { resume.cancelled.contains($0.id) })
        // A cancel rule is final: pausing or resuming does not bring a cancelled job back.
        try store.resume(sweep: nil, where: .all)
        #expect(try store.counts().cancelled == 3)
    }

    @Test func anUnknownSweepIsRefusedWithTheKnownOnes() throws {
        let dir = StoreTests.TempDir()
        let (store, _) = try Self.store(dir)
        do { try store.pause(sweep: "gird", where: .all); Issue.record("accepted") } catch {
            #expect(error.description.contains("no sweep gird") && error.description.contains("grid, other"))
        }
        #expect(try store.steeringRules().isEmpty)
    }

    /// A store of the v1 schema gets the cancelled state and the steering table, job order kept.
    @Test func aV1StoreTakesTheSteeringMigration() throws {
        let dir = StoreTests.TempDir()
        try StoreMigrationTests.v1Store(at: dir.path(), oldStatus: true)
        let store = try Store(path: dir.path(), create: false)
        let id = try #require(try store.resumeState().pending.first?.id)
        try store.apply([.cancel(jobID: id)])
        #expect(try store.counts().cancelled == 1)
        try store.pause(sweep: nil, where: .all)
        #expect(try store.steeringRules().count == 1)
        #expect(try Store(readingAt: dir.path()).quickCheck().isEmpty)
    }
}

extension StoreSteeringTests {
    /// A cancel is about the jobs there were: a sweep added to the store later is not cancelled
    /// by an old rule (a pause rule, lifted by resume, covers new jobs too).
    @Test func aCancelRuleCoversOnlyJobsThatExistedWhenItWasMade() throws {
        let dir = StoreTests.TempDir()
        let (store, _) = try Self.store(dir)
        try store.cancel(sweep: nil, where: JobFilter(parsing: "model=lstm"), applyNow: false)
        try store.pause(sweep: nil, where: JobFilter(parsing: "model=lstm"))
        let later = JobSpec(synthetic: SyntheticSpec(model: .lstm, hidden: 6))
        try store.addJobs([later], sweepName: "later", definition: "d")
        let steered = try store.steeredJobs()
        #expect(steered.cancelled.count == 2 && !steered.cancelled.contains(later.id))
        #expect(steered.paused == [later.id])
    }
}
