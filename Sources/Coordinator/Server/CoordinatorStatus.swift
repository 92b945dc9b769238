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
    /// Replaces the status row (the table is made by the `v2-coordinator-status` migration).
    func writeStatus(_ s: CoordinatorStatus) throws(StoreError) {
        let body: String
        do { body = String(decoding: try JSON.encode(s), as: UTF8.self) } catch {
            throw StoreError(.write, "encode the coordinator status for \(file)", underlying: String(describing: error))
        }
        try StoreError.wrap(.write, "write the coordinator status to \(file)") {
            try pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO coordinator_status (id, body) VALUES (1, ?)", arguments: [body])
            }
        }
    }

    /// The last status a coordinator wrote, or nil. A reader opens without migrating, so a
    /// store of the v1 schema that no coordinator ran on may lack the table: nil then too.
    func readStatus() throws(StoreError) -> CoordinatorStatus? {
        let body: String? = try StoreError.wrap(.read, "read the coordinator status of \(file)") {
            try pool.read { db in
                guard try db.tableExists("coordinator_status") else { return nil }
                return try String.fetchOne(db, sql: "SELECT body FROM coordinator_status WHERE id = 1")
            }
        }
        guard let body else { return nil }
        do { return try JSON.decode(CoordinatorStatus.self, from: Data(body.utf8)) } catch {
            throw StoreError(.corrupt, "the coordinator status of \(file) does not decode", underlying: String(describing: error))
        }
    }
}
