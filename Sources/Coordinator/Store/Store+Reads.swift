import Foundation
import GRDB
import Shared

// Reads: specs for assignments, counts for progress, results for reports. All run on
// a WAL snapshot and never block the writer.

extension Store {
    /// The job's spec, or nil if the store does not have the id.
    public func spec(for id: String) throws(StoreError) -> JobSpec? {
        try specs(for: [id])[id]
    }

    /// Specs by id for the ids the store has (unknown ids are absent from the answer).
    public func specs(for ids: [String]) throws(StoreError) -> [String: JobSpec] {
        let raw = try specJSON(for: ids)
        var out: [String: JobSpec] = [:]
        for (id, json) in raw { out[id] = try decodeSpec(String(decoding: json, as: UTF8.self), id: id) }
        return out
    }

    /// The stored canonical JSON of each spec, by id: ready to send without re-encoding.
    public func specJSON(for ids: [String]) throws(StoreError) -> [String: Data] {
        try StoreError.wrap(.read, "read \(ids.count) specs from \(file)") {
            try pool.read { db in
                let stmt = try db.cachedStatement(sql: "SELECT spec FROM jobs WHERE id = ?")
                var out: [String: Data] = [:]
                for id in ids {
                    if let s = try String.fetchOne(stmt, arguments: [id]) { out[id] = Data(s.utf8) }
                }
                return out
            }
        }
    }

    /// Job counts by state, and how many results diverged.
    public func counts() throws(StoreError) -> StoreCounts {
        try StoreError.wrap(.read, "count jobs in \(file)") {
            try pool.read { db in
                var c = StoreCounts()
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                    let n: Int = row[1]
                    switch row[0] as String {
                    case "pending": c.pending = n
                    case "leased": c.leased = n
                    case "done": c.done = n
                    case "failed": c.failed = n
                    case "cancelled": c.cancelled = n
                    default: break
                    }
                    c.total += n
                }
                c.diverged = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM results WHERE status = 'diverged'") ?? 0
                return c
            }
        }
    }

    /// Every stored result with its spec and provenance, in the order the jobs were added.
    public func allResults() throws(StoreError) -> [ResultRecord] {
        let rows = try StoreError.wrap(.read, "read results from \(file)") {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT r.job_id, j.spec, r.outcome, r.host, r.worker_id, r.build_version, r.wall_seconds
                    FROM results r JOIN jobs j ON j.id = r.job_id ORDER BY j.rowid
                    """).map { row in
                    (id: row[0] as String, spec: row[1] as String, outcome: row[2] as String,
                     provenance: Provenance(host: row[3], workerID: row[4], buildVersion: row[5], wallSeconds: row[6]))
                }
            }
        }
        return try rows.map { (r) throws(StoreError) -> ResultRecord in
            let outcome = try StoreError.wrap(.corrupt, "result of job \(r.id) in \(file) does not decode") {
                try JSON.decode(JobOutcome.self, from: Data(r.outcome.utf8))
            }
            return ResultRecord(jobID: r.id, spec: try decodeSpec(r.spec, id: r.id), outcome: outcome, provenance: r.provenance)
        }
    }

    /// Jobs that failed for good, with their last error, in the order they were added.
    public func failures() throws(StoreError) -> [FailureRecord] {
        let rows = try StoreError.wrap(.read, "read failures from \(file)") {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, spec, attempts, last_error FROM jobs WHERE state = 'failed' ORDER BY rowid
                    """).map { (id: $0[0] as String, spec: $0[1] as String, attempts: $0[2] as Int, error: $0[3] as String?) }
            }
        }
        return try rows.map { (r) throws(StoreError) -> FailureRecord in
            FailureRecord(jobID: r.id, spec: try decodeSpec(r.spec, id: r.id), attempts: r.attempts, lastError: r.error)
        }
    }

    func decodeSpec(_ json: some StringProtocol, id: String) throws(StoreError) -> JobSpec {
        try StoreError.wrap(.corrupt, "spec of job \(id) in \(file) does not decode") {
            try JSON.decode(JobSpec.self, from: Data(json.utf8))
        }
    }
}
