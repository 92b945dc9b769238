import Foundation
import GRDB
import Shared

// Writes during a sweep. Everything funnels into `apply(_:)`: one transaction per batch,
// operations in the given order, so a loop can turn one round of scheduler actions into
// one durable commit.

extension Store {
    /// Applies the operations in order, in ONE transaction: all or nothing.
    ///
    /// - `.lease`: the job becomes `leased` to the worker, `attempts += 1` (a `done` job is left
    ///   alone), and the lease is added to its history (`leases`).
    /// - `.result`: stores the result unless the job already has one (then it is reported as a
    ///   duplicate and nothing changes: a result is never overwritten); the job becomes `done`.
    /// - `.requeue`: a `leased` job becomes `pending` again (a timeout also sets `last_error`).
    /// - `.failure`: records the message as `last_error`; the job becomes `failed` (final) or
    ///   `pending`. A `done` job is left alone.
    /// - `.cancel`: the job becomes `cancelled` (final). A `done` job is left alone.
    ///
    /// Each of the last four that changed the job ends its open lease, if it has one (`ending`
    /// result, requeued with the cause, failed with the message, cancelled): the history costs
    /// one INSERT per lease and one UPDATE per end, inside this same transaction.
    ///
    /// Operations naming a job the store does not have are skipped and reported in `unknown`.
    @discardableResult
    public func apply(_ ops: [StoreOp]) throws(StoreError) -> CommitReport {
        guard !ops.isEmpty else { return CommitReport() }
        // Encode outside the write lock.
        let encoded = try StoreError.wrap(.write, "encode results for \(file)") {
            try ops.map { op -> String? in
                guard case .result(let r) = op else { return nil }
                return String(decoding: try JSON.encode(r.outcome), as: UTF8.self)
            }
        }
        let now = clock()
        return try StoreError.wrap(.write, "apply \(ops.count) changes to \(file)") {
            try pool.write { db in
                var report = CommitReport()
                for (op, outcomeJSON) in zip(ops, encoded) {
                    switch op {
                    case .lease(let g):
                        try db.cachedStatement(sql: """
                            UPDATE jobs SET state = 'leased', lease_id = ?, worker = ?, attempts = attempts + 1, updated_at = ?
                            WHERE id = ? AND state != 'done'
                            """).execute(arguments: [g.leaseID, g.worker, now, g.jobID])
                        if db.changesCount == 1 {
                            try db.cachedStatement(sql: """
                                INSERT INTO leases (lease_id, job_id, worker, host, granted_at) VALUES (?, ?, ?, ?, ?)
                                """).execute(arguments: [g.leaseID, g.jobID, g.worker, g.host, now])
                        } else if try !exists(db, g.jobID) {
                            report.unknown.append(g.jobID)
                        }
                    case .result(let r):
                        try commit(r, outcomeJSON: outcomeJSON!, now: now, db: db, into: &report)
                    case let .requeue(id, cause):
                        try db.cachedStatement(sql: """
                            UPDATE jobs SET state = 'pending', lease_id = NULL, worker = NULL,
                                            last_error = COALESCE(?, last_error), updated_at = ?
                            WHERE id = ? AND state = 'leased'
                            """).execute(arguments: [cause.lastError, now, id])
                        try ended(id, .requeued, cause.description, now: now, db: db, into: &report)
                    case let .failure(id, message, final):
                        try db.cachedStatement(sql: """
                            UPDATE jobs SET state = ?, last_error = ?, lease_id = NULL, worker = NULL, updated_at = ?
                            WHERE id = ? AND state != 'done'
                            """).execute(arguments: [final ? "failed" : "pending", message, now, id])
                        try ended(id, .failed, message, now: now, db: db, into: &report)
                    case .cancel(let id):
                        try db.cachedStatement(sql: """
                            UPDATE jobs SET state = 'cancelled', lease_id = NULL, worker = NULL, updated_at = ?
                            WHERE id = ? AND state != 'done'
                            """).execute(arguments: [now, id])
                        try ended(id, .cancelled, nil, now: now, db: db, into: &report)
                    }
                }
                return report
            }
        }
    }

    private func commit(_ r: ResultCommit, outcomeJSON: String, now: Double, db: Database,
                        into report: inout CommitReport) throws {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO results (job_id, status, outcome, host, worker_id, build_version, wall_seconds, finished_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)
            """).execute(arguments: [r.jobID, r.outcome.status.rawValue, outcomeJSON, r.provenance.host,
                                     r.provenance.workerID, r.provenance.buildVersion, r.provenance.wallSeconds,
                                     now, r.jobID])
        if db.changesCount == 1 {
            try db.cachedStatement(sql: """
                UPDATE jobs SET state = 'done', lease_id = NULL, worker = NULL, updated_at = ? WHERE id = ?
                """).execute(arguments: [now, r.jobID])
            try endLease(of: r.jobID, .result, nil, now: now, db: db)
            report.committed.append(r.jobID)
        } else if try exists(db, r.jobID) {
            report.duplicates.append(r.jobID)
        } else {
            report.unknown.append(r.jobID)
        }
    }

    /// After a job update: if it changed the job, ends the job's open lease; if it changed
    /// nothing, reports an unknown job.
    private func ended(_ id: String, _ ending: LeaseEnding, _ detail: String?, now: Double, db: Database,
                       into report: inout CommitReport) throws {
        if db.changesCount == 1 {
            try endLease(of: id, ending, detail, now: now, db: db)
        } else if try !exists(db, id) {
            report.unknown.append(id)
        }
    }

    /// Ends the job's open lease (at most one: a job is leased again only after its lease ended).
    /// A job without one (pending, paused) is left as it is.
    private func endLease(of id: String, _ ending: LeaseEnding, _ detail: String?, now: Double, db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE leases SET ended_at = ?, ending = ?, detail = ? WHERE job_id = ? AND ended_at IS NULL
            """).execute(arguments: [now, ending.rawValue, detail, id])
    }

    private func exists(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?)"),
                          arguments: [id]) ?? false
    }

    // MARK: Convenience forms of `apply`

    /// Records leases (one transaction for the whole batch).
    public func markLeased(_ grants: [LeaseGrant]) throws(StoreError) {
        try apply(grants.map(StoreOp.lease))
    }

    public func markLeased(jobID: String, leaseID: String, worker: String) throws(StoreError) {
        try markLeased([LeaseGrant(jobID: jobID, leaseID: leaseID, worker: worker)])
    }

    /// Commits results in ONE transaction, idempotently: a job that already has a result is
    /// skipped and reported in `duplicates`, never overwritten.
    @discardableResult
    public func commitResults(_ results: [ResultCommit]) throws(StoreError) -> CommitReport {
        try apply(results.map(StoreOp.result))
    }

    /// Records a failed run; `final` marks the job failed for good, otherwise it is pending again.
    public func recordFailure(jobID: String, message: String, final: Bool) throws(StoreError) {
        try apply([.failure(jobID: jobID, message: message, final: final)])
    }

    /// Puts leased jobs back to pending; their leases end as requeued for `cause`.
    public func requeue(_ jobIDs: [String], cause: RequeueCause) throws(StoreError) {
        try apply(jobIDs.map { .requeue(jobID: $0, cause: cause) })
    }

    public func requeue(jobID: String, cause: RequeueCause) throws(StoreError) {
        try requeue([jobID], cause: cause)
    }
}
