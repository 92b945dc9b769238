import Foundation
import Shared
import Testing
@testable import Coordinator

/// The durable store on real SQLite files in a temporary directory.
@Suite struct StoreTests {
    /// A fresh directory per test, removed when the test's value goes away.
    final class TempDir {
        let url: URL
        init() {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("urnn-store-\(UUID().uuidString)")
            try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String = "results.sqlite") -> String { url.appendingPathComponent(name).path }
    }

    static func specs(_ range: Range<Int>) -> [JobSpec] { range.map { JobSpec(noop: NoopSpec(token: $0)) } }

    static func result(_ spec: JobSpec, lease: String? = "s-1", value: Double = 1, status: JobOutcome.Status = .ok,
                       worker: String = "w1") -> ResultCommit {
        ResultCommit(jobID: spec.id, leaseID: lease,
                     outcome: JobOutcome(status: status, metrics: ["token": value, "nan": .nan]),
                     provenance: Provenance(host: "h", workerID: worker, buildVersion: BuildInfo.version, wallSeconds: 0.5))
    }

    /// GRDB's DatabasePool sets synchronous = NORMAL when it enables WAL; the store must set the
    /// durability it promises on the writer afterwards (FULL: an ACKed result survives power loss).
    @Test func writerRunsWithTheRequestedDurability() throws {
        let dir = TempDir()
        #expect(try Store(path: dir.path("full.sqlite")).synchronousLevel() == 2)
        #expect(try Store(path: dir.path("normal.sqlite"), durability: .normal).synchronousLevel() == 1)
        // Reopening keeps the promise too.
        #expect(try Store(path: dir.path("full.sqlite"), create: false).synchronousLevel() == 2)
    }

    @Test func insertIsIdempotentAndKeepsOrder() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path(), clock: { 1000 })
        #expect(try store.addJobs(Self.specs(0..<10), sweepName: "s", definition: "d1") == 10)
        #expect(try store.addJobs(Self.specs(0..<10), sweepName: "s", definition: "d1") == 0)
        #expect(try store.addJobs(Self.specs(5..<12), sweepName: "s", definition: "d2") == 2)
        #expect(try store.counts().total == 12 && store.counts().pending == 12)
        #expect(try store.resumeState().pending.map(\.id) == Self.specs(0..<12).map(\.id))
        #expect(try store.sweeps() == [SweepRecord(name: "s", definition: "d2", created: 1000)])
        #expect(try store.spec(for: Self.specs(3..<4)[0].id) == Self.specs(3..<4)[0])
        #expect(try store.spec(for: "nope") == nil)
    }

    @Test func resumePutsLeasedBackToPendingAndKeepsDoneDone() throws {
        let dir = TempDir()
        let specs = Self.specs(0..<5)
        do {
            let store = try Store(path: dir.path())
            try store.addJobs(specs, sweepName: "s", definition: "d")
            try store.markLeased([LeaseGrant(jobID: specs[0].id, leaseID: "a-1", worker: "w"),
                                  LeaseGrant(jobID: specs[1].id, leaseID: "a-2", worker: "w"),
                                  LeaseGrant(jobID: specs[2].id, leaseID: "a-3", worker: "w")])
            try store.commitResults([Self.result(specs[1], lease: "a-2")])
            try store.recordFailure(jobID: specs[3].id, message: "kaput", final: true)
            #expect(try store.counts().leased == 2)
        }  // the coordinator dies here
        let store = try Store(path: dir.path(), create: false)
        let state = try store.resumeState()
        #expect(state.requeuedLeases == 2)
        #expect(state.pending.map(\.id) == [specs[0].id, specs[2].id, specs[4].id])
        #expect(state.pending.allSatisfy { $0.kind == .noop })
        #expect(state.done == [specs[1].id])
        #expect(state.failed == [specs[3].id])
        var c = StoreCounts(); c.total = 5; c.pending = 3; c.done = 1; c.failed = 1
        #expect(try store.counts() == c)
        // Failed jobs can be given another chance on request.
        #expect(try store.resumeState(retryFailed: true).pending.count == 4)
    }

    @Test func resultIsStoredOnceAndNeverOverwritten() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path())
        let spec = Self.specs(0..<1)[0]
        try store.addJobs([spec], sweepName: "s", definition: "d")
        #expect(try store.commitResults([Self.result(spec, value: 1)]).committed == [spec.id])
        let again = try store.commitResults([Self.result(spec, value: 2, worker: "w2")])
        #expect(again.committed.isEmpty && again.duplicates == [spec.id])
        let all = try store.allResults()
        #expect(all.count == 1)
        #expect(all[0].outcome.metrics["token"] == 1 && all[0].provenance.workerID == "w1")
        #expect(all[0].outcome.metrics["nan"]!.isNaN)  // NaN survives the round trip
        #expect(all[0].spec == spec)
    }

    @Test func unknownJobIdsAreReportedNotStored() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path())
        try store.addJobs(Self.specs(0..<1), sweepName: "s", definition: "d")
        let ghost = Self.specs(100..<101)[0]
        let report = try store.apply([.result(Self.result(ghost)), .lease(LeaseGrant(jobID: "x", leaseID: "l", worker: "w")),
                                      .requeue(jobID: "y", cause: .leaseExpired), .failure(jobID: "z", message: "m", final: true)])
        #expect(report.unknown == [ghost.id, "x", "y", "z"])
        #expect(try store.allResults().isEmpty && store.counts().total == 1)
    }

    @Test func batchIsAppliedInOrderInOneTransaction() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path())
        let specs = Self.specs(0..<2)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        try store.apply([.lease(LeaseGrant(jobID: specs[0].id, leaseID: "l1", worker: "a")),
                         .requeue(jobID: specs[0].id, cause: .workerDead),
                         .lease(LeaseGrant(jobID: specs[0].id, leaseID: "l2", worker: "b")),
                         .failure(jobID: specs[1].id, message: "try again", final: false),
                         .result(Self.result(specs[1], status: .diverged))])
        var c = StoreCounts(); c.total = 2; c.leased = 1; c.done = 1; c.diverged = 1
        #expect(try store.counts() == c)
        try store.recordFailure(jobID: specs[0].id, message: "boom", final: true)
        let failures = try store.failures()
        #expect(failures.map(\.jobID) == [specs[0].id])
        #expect(failures.first?.lastError == "boom" && failures.first?.attempts == 2)
        // A failure report for a done job changes nothing.
        try store.recordFailure(jobID: specs[1].id, message: "late", final: true)
        #expect(try store.counts().done == 1)
    }

    @Test func crashBetweenCommitAndAckGivesADuplicateThatIsAckedNotStoredTwice() throws {
        let dir = TempDir()
        let spec = Self.specs(0..<1)[0]
        var firstLease = ""
        do {  // first coordinator run
            let store = try Store(path: dir.path())
            try store.addJobs([spec], sweepName: "s", definition: "d")
            let state = try store.resumeState()
            var scheduler = Scheduler(configuration: .init(sessionID: "run1"), pending: state.pending, done: state.done)
            guard case let .assign(jobID, worker, lease, _) = scheduler.hello(worker: "w1", slots: 1, kinds: Scheduler.everyKind, now: 0).first
            else { Issue.record("no assignment"); return }
            firstLease = lease
            try store.markLeased(jobID: jobID, leaseID: lease, worker: worker)
            let actions = scheduler.result(worker: "w1", jobID: jobID, leaseID: lease, now: 1)
            #expect(actions == [.commitResult(jobID: jobID, leaseID: lease, worker: "w1")])
            #expect(try store.commitResults([Self.result(spec, lease: lease)]).committed == [spec.id])
        }  // killed before the ACK went out
        let store = try Store(path: dir.path(), create: false)
        let state = try store.resumeState()
        #expect(state.pending.isEmpty && state.done == [spec.id])
        var scheduler = Scheduler(configuration: .init(sessionID: "run2"), pending: state.pending, done: state.done)
        #expect(scheduler.hello(worker: "w1", slots: 1, kinds: Scheduler.everyKind, now: 0).isEmpty)  // nothing left to hand out
        // The worker never got its ACK, so it resends the result after reconnecting.
        #expect(scheduler.result(worker: "w1", jobID: spec.id, leaseID: firstLease, now: 1)
                == [.ack(worker: "w1", jobID: spec.id, reason: .duplicate)])
        // Even if a loop committed it anyway, the store would refuse a second row.
        #expect(try store.commitResults([Self.result(spec, lease: firstLease, value: 9)]).duplicates == [spec.id])
        #expect(try store.allResults().count == 1)
    }

    @Test func tenThousandResultsCommitInOneBatch() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path())
        let specs = Self.specs(0..<10_000)
        try store.addJobs(specs, sweepName: "bench", definition: "d")
        try store.markLeased(specs.map { LeaseGrant(jobID: $0.id, leaseID: "l-\($0.noop!.token)", worker: "w") })
        let results = specs.map { Self.result($0, lease: "l-\($0.noop!.token)") }
        let start = Date()
        let report = try store.commitResults(results)
        let seconds = Date().timeIntervalSince(start)
        print("store: committed 10,000 results in one transaction in \(String(format: "%.3f", seconds)) s "
              + "(\(Int(10_000 / seconds)) results/s, debug build)")
        #expect(report.committed.count == 10_000 && report.duplicates.isEmpty)
        #expect(try store.counts().done == 10_000)
        #expect(seconds < 10)
    }

    @Test func aSecondConnectionReadsWhileTheFirstWrites() throws {
        let dir = TempDir()
        let writer = try Store(path: dir.path())
        let reader = try Store(path: dir.path(), create: false)
        let specs = Self.specs(0..<50)
        try writer.addJobs(specs, sweepName: "s", definition: "d")
        for (i, spec) in specs.enumerated() where i % 2 == 0 {
            try writer.commitResults([Self.result(spec)])
            #expect(try reader.counts().done == i / 2 + 1)
        }
    }

    @Test func missingOrDamagedStoreGivesAClearError() throws {
        let dir = TempDir()
        #expect(throws: StoreError.self) { try Store(path: dir.path("absent.sqlite"), create: false) }
        #expect(try Store(path: dir.path("new/dir/made.sqlite")).counts().total == 0)
        try Data("this is not a database, just bytes long enough to look like a header......".utf8)
            .write(to: URL(fileURLWithPath: dir.path("junk.sqlite")))
        do {
            _ = try Store(path: dir.path("junk.sqlite"))
            Issue.record("opened a junk file")
        } catch {
            #expect(error.code == .notAStore, "\(error)")
            #expect(error.description.contains("junk.sqlite"))
        }
    }
}
