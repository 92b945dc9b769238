import Foundation
import GRDB
import Shared

// The lease history (migration v4-leases): every lease a job was given, who held it, and how it
// ended. Written by `apply` in the round's own transaction (Store+Writes.swift), read here.

extension Store {
    /// The job's leases, oldest first (empty for an unknown job, or a store of an older schema
    /// opened read-only, which has no history).
    public func leases(ofJob id: String) throws(StoreError) -> [LeaseRecord] {
        try StoreError.wrap(.read, "read the leases of job \(id) from \(file)") {
            try pool.read { db in try leases(ofJob: id, db) }
        }
    }

    /// The same inside a read that is already open (one snapshot with the job's own row).
    func leases(ofJob id: String, _ db: Database) throws -> [LeaseRecord] {
        guard try db.tableExists("leases") else { return [] }
        return try Row.fetchAll(db, sql: """
            SELECT lease_id, job_id, worker, host, granted_at, ended_at, ending, detail
            FROM leases WHERE job_id = ? ORDER BY rowid
            """, arguments: [id]).map { row in
            let endingText: String? = row[6]
            var ending: LeaseEnding?
            if let endingText {
                guard let e = LeaseEnding(rawValue: endingText) else {
                    throw StoreError(.corrupt, "lease \(row[0] as String) of job \(id) in \(file) ended as \(endingText)")
                }
                ending = e
            }
            return LeaseRecord(leaseID: row[0], jobID: row[1], worker: row[2], host: row[3], grantedAt: row[4],
                               endedAt: row[5], ending: ending, detail: row[7])
        }
    }
}
