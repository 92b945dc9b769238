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
