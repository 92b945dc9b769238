import Foundation
import GRDB
import Shared

// Merging results computed elsewhere (`urnn-coordinator import`): a sweep that spans machines
// and days is run in parts, each part exported, and the parts merged into one store, from which
// reports are drawn and the sweep resumes without running anything twice.

/// What an import did.
public struct ImportReport: Sendable, Equatable {
    /// Records stored now (their jobs are `done`).
    public var imported = 0
    /// Records whose job already had the same outcome, bit for bit: nothing to do.
    public var alreadyStored = 0
    /// Records stored now whose build differs from `currentBuild` (they are flagged in reports).
    public var otherBuild: [String: Int] = [:]
    public init() {}
}

/// A record that disagrees with the store: same job (same spec), another outcome. Since a job's
/// outcome is a function of its spec, one of the two is wrong (or the builds differ in the
/// training core); the import is refused as a whole.
public struct ImportConflict: Error, CustomStringConvertible, Sendable, Equatable {
    public var jobID: String
    public var summary: String
    /// "host/worker, build" of the stored result and of the imported one.
    public var stored: String
    public var imported: String
    /// Conflicts beyond this one in the same import.
    public var more: Int

    public var description: String {
        "job \(jobID) (\(summary)) is stored with another outcome: stored by \(stored), imported from \(imported)"
            + (more > 0 ? " (and \(more) more conflicting records)" : "") + "; nothing was imported"
    }
}

extension Store {
    /// Stores `records` in ONE transaction, all or nothing.
    ///
    /// The caller has checked each record (id = hash of its spec, spec valid). Per record:
    /// - the job is unknown: its job row is added (sweep `sweep`, state `done`) with the result;
    /// - the job is known without a result: the result is stored, the job becomes `done`;
    /// - the job has the same outcome already (canonical JSON equal): counted, nothing changes;
    /// - the job has another outcome: `ImportConflict` naming both, and nothing is written.
    /// Holding the `StoreLock` while importing keeps a coordinator from leasing the same jobs.
    public func importResults(_ records: [ResultRecord], sweep: String?, currentBuild: String) throws -> ImportReport {
        let encoded = try StoreError.wrap(.write, "encode imported results for \(file)") {
            try records.map { r in
                (spec: String(decoding: r.spec.canonicalJSON(), as: UTF8.self),
                 outcome: String(decoding: try JSON.encode(r.outcome), as: UTF8.self))
            }
        }
        let now = clock()
        var conflicts: [ImportConflict] = []
        do {
            return try pool.write { db -> ImportReport in
                var report = ImportReport()
                let storedOutcome = try db.cachedStatement(sql: """
                    SELECT r.outcome, r.host, r.worker_id, r.build_version FROM results r WHERE r.job_id = ?
                    """)
                for (r, enc) in zip(records, encoded) {
                    if let row = try Row.fetchOne(storedOutcome, arguments: [r.jobID]) {
                        if (row[0] as String) == enc.outcome {
                            report.alreadyStored += 1
                        } else {
                            conflicts.append(ImportConflict(
                                jobID: r.jobID, summary: r.spec.summary,
                                stored: "\(row[1] as String)/\(row[2] as String), \(row[3] as String)",
                                imported: "\(r.provenance.host)/\(r.provenance.workerID), \(r.provenance.buildVersion)", more: 0))
                        }
                        continue
                    }
                    try db.cachedStatement(sql: """
                        INSERT OR IGNORE INTO jobs (id, sweep, spec, kind, state, attempts, updated_at)
                        VALUES (?, ?, ?, ?, 'done', 0, ?)
                        """).execute(arguments: [r.jobID, sweep, enc.spec, r.spec.kind.rawValue, now])
                    try db.cachedStatement(sql: """
                        INSERT INTO results (job_id, status, outcome, host, worker_id, build_version, wall_seconds, finished_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [r.jobID, r.outcome.status.rawValue, enc.outcome, r.provenance.host,
                                                 r.provenance.workerID, r.provenance.buildVersion, r.provenance.wallSeconds, now])
                    try db.cachedStatement(sql: """
                        UPDATE jobs SET state = 'done', lease_id = NULL, worker = NULL, updated_at = ? WHERE id = ?
                        """).execute(arguments: [now, r.jobID])
                    report.imported += 1
                    if r.provenance.buildVersion != currentBuild { report.otherBuild[r.provenance.buildVersion, default: 0] += 1 }
                }
                if report.imported > 0 {
                    // A job imported while a lease of it was open (its coordinator died): that
                    // lease is over, the job has its result.
                    try db.execute(sql: """
                        UPDATE leases SET ended_at = ?, ending = 'result', detail = 'imported'
                        WHERE ended_at IS NULL AND job_id IN (SELECT id FROM jobs WHERE state = 'done')
                        """, arguments: [now])
                }
                if var first = conflicts.first {
                    first.more = conflicts.count - 1
                    throw first  // rolls the transaction back
                }
                return report
            }
        } catch let conflict as ImportConflict {
            throw conflict
        } catch let e as DatabaseError {
            throw StoreError(.write, "import \(records.count) results into \(file)", underlying: e.description,
                             sqliteCode: e.extendedResultCode.rawValue)
        }
    }
}
