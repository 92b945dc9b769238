import Foundation
import GRDB
import Shared

/// What a running coordinator says about itself, written to its store about once a second so
/// `urnn-coordinator status` can show live figures from another process.
struct CoordinatorStatus: Codable, Equatable {
    var pid: Int
    var endpoint: String
    var sessionID: String
    var workersAlive: Int
    var running: Int
    var jobsPerMinute: Double?
    /// Seconds since 1970.
    var updatedAt: Double
    var finished: Bool
    var stopped: Bool = false
}

extension Store {
    private static let createStatus = """
        CREATE TABLE IF NOT EXISTS coordinator_status (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            body TEXT NOT NULL)
        """

    func writeStatus(_ s: CoordinatorStatus) throws {
        let body = String(decoding: try JSON.encode(s), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: Self.createStatus)
            try db.execute(sql: "INSERT OR REPLACE INTO coordinator_status (id, body) VALUES (1, ?)", arguments: [body])
        }
    }

    func readStatus() throws -> CoordinatorStatus? {
        let body: String? = try pool.read { db in
            guard try db.tableExists("coordinator_status") else { return nil }
            return try String.fetchOne(db, sql: "SELECT body FROM coordinator_status WHERE id = 1")
        }
        return try body.map { try JSON.decode(CoordinatorStatus.self, from: Data($0.utf8)) }
    }
}
