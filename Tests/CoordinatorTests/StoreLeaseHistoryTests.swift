import Foundation
import GRDB
import Shared
import Testing
@testable import Coordinator

/// The lease history (`leases`, migration v4-leases): one row per lease, ended by the write
/// that ends it, inside the round's one transaction.
@Suite struct StoreLeaseHistoryTests {
    /// A clock the test moves by hand.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t = 1_000.0
        var now: Double { lock.lock(); defer { lock.unlock() }; return t }
        func advance(_ s: Double) { lock.lock(); t += s; lock.unlock() }
    }

    /// Collects the SQL the store's writer connection runs.
    final class Statements: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
    }

    static func lease(_ spec: JobSpec, _ id: String, _ worker: String = "w1", host: String? = "h1") -> StoreOp {
        .lease(LeaseGrant(jobID: spec.id, leaseID: id, worker: worker, host: host))
    }

    @Test func everyWayALeaseEndsIsRecorded() throws {
        let dir = StoreTests.TempDir()
        let clock = Clock()
        let store = try Store(path: dir.path(), clock: { clock.now })
        let specs = StoreTests.specs(0..<5)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        // One round per step; the clock moves 10 s between rounds.
        let rounds: [[StoreOp]] = [
            [Self.lease(specs[0], "s-1"), Self.lease(specs[1], "s-2"), Self.lease(specs[2], "s-3", "w2", host: nil),
             Self.lease(specs[3], "s-4"), Self.lease(specs[4], "s-5")],
            [.requeue(jobID: specs[0].id, cause: .leaseExpired), .failure(jobID: specs[1].id, message: "flaky", final: false),
             .cancel(jobID: specs[2].id), .requeue(jobID: specs[4].id, cause: .workerDead)],
            [Self.lease(specs[0], "s-6", "w2", host: "h2"), Self.lease(specs[1], "s-7"), Self.lease(specs[4], "s-8")],
            [.result(StoreTests.result(specs[0], lease: "s-6", worker: "w2")),
             .requeue(jobID: specs[1].id, cause: .timedOut(seconds: 60, attempt: 1)),
             .requeue(jobID: specs[4].id, cause: .handedBack)],
            [Self.lease(specs[1], "s-9"), Self.lease(specs[4], "s-10")],
            [.failure(jobID: specs[1].id, message: "boom", final: true), .requeue(jobID: specs[4].id, cause: .workerRestarted)],
        ]
        for (i, ops) in rounds.enumerated() {
            try store.apply(ops)
            clock.advance(10)
            if i == 3 {
                // A timeout keeps its message as the job's last_error.
                let lastError = try store.pool.read { db in
                    try String.fetchOne(db, sql: "SELECT last_error FROM jobs WHERE id = ?", arguments: [specs[1].id])
                }
                #expect(lastError == "timed out after 60 s (attempt 1)")
            }
        }
        func history(_ i: Int) throws -> [String] {
            try store.leases(ofJob: specs[i].id).map { l in
                "\(l.leaseID) \(l.worker)@\(l.host ?? "-") \(Int(l.grantedAt))-\(l.endedAt.map { String(Int($0)) } ?? "open") "
                    + "\(l.ending?.rawValue ?? "held")\(l.detail.map { ": " + $0 } ?? "")"
            }
        }
        #expect(try history(0) == ["s-1 w1@h1 1000-1010 requeued: lease expired", "s-6 w2@h2 1020-1030 result"])
        #expect(try history(1) == ["s-2 w1@h1 1000-1010 failed: flaky", "s-7 w1@h1 1020-1030 requeued: timed out after 60 s",
                                   "s-9 w1@h1 1040-1050 failed: boom"])
        #expect(try history(2) == ["s-3 w2@- 1000-1010 cancelled"])
        #expect(try history(3) == ["s-4 w1@h1 1000-open held"])
        #expect(try history(4) == ["s-5 w1@h1 1000-1010 requeued: worker dead", "s-8 w1@h1 1020-1030 requeued: handed back",
                                   "s-10 w1@h1 1040-1050 requeued: worker restarted"])
        // The job rows agree: attempts = leases granted.
        #expect(try store.failures().first?.attempts == 3)
        #expect(try store.failures().first?.lastError == "boom")
        let row = try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT attempts, last_error, state FROM jobs WHERE id = ?", arguments: [specs[4].id])
        }
        #expect(row?[0] as Int? == 3 && row?[2] as String? == "pending")
        #expect(try store.leases(ofJob: "0123456789abcdef0123456789abcdef").isEmpty)
    }

    /// Writes that change no job leave the history alone: a duplicate result, a lease of a done
    /// job, a requeue of a job not leased, an unknown job.
    @Test func writesThatChangeNoJobLeaveTheHistoryAlone() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        let specs = StoreTests.specs(0..<2)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        try store.apply([Self.lease(specs[0], "s-1"), .result(StoreTests.result(specs[0]))])
        let before = try store.leases(ofJob: specs[0].id)
        #expect(before.map(\.ending) == [.result])
        let report = try store.apply([.result(StoreTests.result(specs[0], worker: "w9")), Self.lease(specs[0], "s-2"),
                                      .requeue(jobID: specs[1].id, cause: .leaseExpired), Self.lease(StoreTests.specs(9..<10)[0], "s-3")])
        #expect(report.duplicates == [specs[0].id] && report.unknown == [StoreTests.specs(9..<10)[0].id])
        #expect(try store.leases(ofJob: specs[0].id) == before)
        #expect(try store.leases(ofJob: specs[1].id).isEmpty)
    }

    /// The history costs one INSERT per lease and one UPDATE per end, in the round's one
    /// transaction (one COMMIT: no second fsync).
    @Test func oneInsertPerLeaseOneUpdatePerEndOneCommitPerRound() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        let specs = StoreTests.specs(0..<6)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        try store.apply(specs.prefix(3).enumerated().map { Self.lease($1, "a-\($0)") })
        let seen = Statements()
        try store.pool.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case .statement(let s) = event { seen.add(s.sql) }
            }
        }
        defer { try? store.pool.writeWithoutTransaction { db in db.trace(options: [], nil) } }
        try store.apply([
            .result(StoreTests.result(specs[0])), .requeue(jobID: specs[1].id, cause: .leaseExpired),
            .failure(jobID: specs[2].id, message: "m", final: true),
            Self.lease(specs[3], "b-1"), Self.lease(specs[4], "b-2"), Self.lease(specs[5], "b-3"),
        ])
        let sql = seen.all
        #expect(sql.filter { $0.contains("INSERT INTO leases") }.count == 3, "\(sql)")
        #expect(sql.filter { $0.contains("UPDATE leases") }.count == 3, "\(sql)")
        #expect(sql.filter { $0.uppercased().hasPrefix("COMMIT") }.count == 1, "\(sql)")
        #expect(sql.filter { $0.uppercased().hasPrefix("BEGIN") }.count == 1, "\(sql)")
    }

    /// All or nothing: a round that fails late leaves no lease row of its earlier writes.
    @Test func aFailedRoundLeavesNoLeaseBehind() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        let specs = StoreTests.specs(0..<2)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        try store.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse BEFORE INSERT ON results WHEN NEW.job_id = '\(specs[1].id)'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
        #expect(throws: StoreError.self) {
            try store.apply([Self.lease(specs[0], "s-1"), Self.lease(specs[1], "s-2"), .result(StoreTests.result(specs[1]))])
        }
        #expect(try store.leases(ofJob: specs[0].id).isEmpty && store.leases(ofJob: specs[1].id).isEmpty)
        #expect(try store.counts().pending == 2)
    }

    /// A restart ends the previous run's leases; an import ends the lease of a job it completes.
    @Test func restartAndImportEndOpenLeases() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        let specs = StoreTests.specs(0..<2)
        try store.addJobs(specs, sweepName: "s", definition: "d")
        try store.apply([Self.lease(specs[0], "s-1"), Self.lease(specs[1], "s-2")])
        let resume = try store.resumeState()
        #expect(resume.requeuedLeases == 2)
        #expect(try store.leases(ofJob: specs[0].id).map(\.detail) == ["coordinator restarted"])
        #expect(try store.leases(ofJob: specs[0].id).map(\.ending) == [.requeued])
        // A lease of the new run, then the job's result arrives by import instead.
        try store.apply([Self.lease(specs[1], "t-1")])
        let r = StoreTests.result(specs[1])
        let imported = try store.importResults([ResultRecord(jobID: specs[1].id, spec: specs[1], outcome: r.outcome, provenance: r.provenance)],
                                               sweep: "s", currentBuild: BuildInfo.version)
        #expect(imported.imported == 1)
        let leases = try store.leases(ofJob: specs[1].id)
        #expect(leases.map(\.leaseID) == ["s-2", "t-1"])
        #expect(leases.map(\.ending) == [.requeued, .result] && leases[1].detail == "imported")
    }
}
