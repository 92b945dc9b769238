import Foundation
import GRDB
import Shared
import Testing
@testable import Coordinator

/// Stores made by earlier schemas open and are upgraded; the coordinator's status row lives in
/// a migration, not in a table created on first write.
@Suite struct StoreMigrationTests {
    /// A store as the v1 schema made it, with jobs, a result and (if `oldStatus`) the status table
    /// a coordinator of that schema created on its first status write.
    static func v1Store(at path: String, oldStatus: Bool) throws {
        let queue = try DatabaseQueue(path: path)
        try Store.migrator.migrate(queue, upTo: "v1")
        let spec = JobSpec(noop: NoopSpec(token: 1))
        let json = String(decoding: try JSON.encode(spec), as: UTF8.self)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO sweep (name, definition, created) VALUES ('s', 'd', 1)")
            try db.execute(sql: "INSERT INTO jobs (id, sweep, spec, kind, state, updated_at) VALUES (?, 's', ?, 'noop', 'pending', 1)",
                           arguments: [spec.id, json])
            if oldStatus {
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS coordinator_status (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL)")
                try db.execute(sql: "INSERT INTO coordinator_status (id, body) VALUES (1, ?)",
                               arguments: [#"{"pid":9,"endpoint":"tcp://x:1","sessionID":"old","workersAlive":0,"running":0,"updatedAt":5,"finished":true,"stopped":false}"#])
            }
        }
    }

    @Test(arguments: [false, true]) func aV1StoreOpensAndMigrates(oldStatus: Bool) throws {
        let dir = StoreTests.TempDir()
        let path = dir.path()
        try Self.v1Store(at: path, oldStatus: oldStatus)
        // A reader neither migrates nor fails on the missing table.
        let reader = try Store(readingAt: path)
        #expect(try reader.readStatus()?.sessionID == (oldStatus ? "old" : nil))
        let store = try Store(path: path, create: false)
        #expect(try store.counts().pending == 1)
        #expect(try store.readStatus()?.sessionID == (oldStatus ? "old" : nil))
        let applied = try store.pool.read { db in try Store.migrator.appliedIdentifiers(db) }
        #expect(applied.contains("v2-coordinator-status"))
        let now = CoordinatorStatus(pid: 1, endpoint: "tcp://127.0.0.1:5", sessionID: "new", workersAlive: 2, running: 1,
                                    jobsPerMinute: 3, updatedAt: 10, finished: false)
        try store.writeStatus(now)
        #expect(try Store(readingAt: path).readStatus() == now)
    }

    /// A store of the previous schema (v3-steering, no lease history) with a job leased by a
    /// coordinator that is gone: readers show no history; a writer migrates it, the leased job's
    /// current lease becomes its first history row, and the next start ends it.
    @Test func aV3StoreGetsTheLeaseHistory() throws {
        let dir = StoreTests.TempDir()
        let path = dir.path()
        let specs = StoreTests.specs(0..<3)
        do {
            let queue = try DatabaseQueue(path: path)
            try Store.migrator.migrate(queue, upTo: "v3-steering")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO sweep (name, definition, created) VALUES ('s', 'd', 1)")
                for (i, (spec, state)) in zip(specs, ["leased", "done", "pending"]).enumerated() {
                    let json = String(decoding: spec.canonicalJSON(), as: UTF8.self)
                    try db.execute(sql: """
                        INSERT INTO jobs (id, sweep, spec, kind, state, attempts, lease_id, worker, updated_at)
                        VALUES (?, 's', ?, 'noop', ?, ?, ?, ?, ?)
                        """, arguments: [spec.id, json, state, i == 2 ? 0 : 1, i == 0 ? "old-7" : nil, i == 0 ? "w1" : nil, 50 + i])
                }
            }
        }
        let reader = try Store(readingAt: path)
        #expect(try reader.leases(ofJob: specs[0].id).isEmpty)
        let store = try Store(path: path, create: false, clock: { 99 })
        let applied = try store.pool.read { db in try Store.migrator.appliedIdentifiers(db) }
        #expect(applied.contains("v4-leases"))
        #expect(try store.leases(ofJob: specs[0].id) == [LeaseRecord(leaseID: "old-7", jobID: specs[0].id, worker: "w1", host: nil,
                                                                     grantedAt: 50, endedAt: nil, ending: nil, detail: nil)])
        #expect(try store.leases(ofJob: specs[1].id).isEmpty && store.leases(ofJob: specs[2].id).isEmpty)
        #expect(try store.counts().leased == 1 && store.counts().done == 1)
        _ = try store.resumeState()
        let ended = try store.leases(ofJob: specs[0].id)
        #expect(ended.map(\.ending) == [.requeued] && ended.map(\.detail) == ["coordinator restarted"] && ended.first?.endedAt == 99)
        try store.apply([.lease(LeaseGrant(jobID: specs[0].id, leaseID: "new-1", worker: "w2", host: "h2")),
                         .result(StoreTests.result(specs[0], lease: "new-1", worker: "w2"))])
        #expect(try Store(readingAt: path).leases(ofJob: specs[0].id).map(\.leaseID) == ["old-7", "new-1"])
    }

    @Test func aFreshStoreHasTheStatusTableBeforeAnyWrite() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        #expect(try store.pool.read { db in try db.tableExists("coordinator_status") })
        #expect(try store.readStatus() == nil)
    }

    @Test func aStatusThatDoesNotDecodeIsATypedError() throws {
        let dir = StoreTests.TempDir()
        let store = try Store(path: dir.path())
        try store.pool.write { db in try db.execute(sql: "INSERT INTO coordinator_status (id, body) VALUES (1, 'not json')") }
        #expect(throws: StoreError.self) { try store.readStatus() }
        do { _ = try store.readStatus() } catch { #expect(error.code == .corrupt) }
    }
}
