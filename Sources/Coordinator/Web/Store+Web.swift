import CoordinatorWeb
import Foundation
import GRDB
import Shared

// Reads for the web view (docs/WEB.md). Each is one read transaction on a WAL snapshot: it
// never blocks the coordinator's writer and takes no lock.

extension Store {
    /// Job counts per sweep (`leased` counted as running), in the order the sweeps were added.
    func countsBySweep() throws(StoreError) -> [(sweep: String, counts: JobCounts)] {
        try StoreError.wrap(.read, "count jobs per sweep in \(file)") {
            try pool.read { db in
                var bySweep: [String: JobCounts] = [:]
                var order: [String] = []
                let rows = try Row.fetchAll(db, sql: """
                    SELECT COALESCE(j.sweep, ''), j.state, COUNT(*), SUM(CASE WHEN r.status = 'diverged' THEN 1 ELSE 0 END)
                    FROM jobs j LEFT JOIN results r ON r.job_id = j.id GROUP BY 1, 2
                    """)
                for row in rows {
                    let sweep: String = row[0], state: String = row[1], n: Int = row[2], diverged: Int = row[3] ?? 0
                    if bySweep[sweep] == nil { order.append(sweep) }
                    var c = bySweep[sweep] ?? JobCounts()
                    c.total += n
                    switch state {
                    case "pending": c.pending += n
                    case "leased": c.running += n
                    case "done": c.done += n; c.diverged += diverged
                    case "failed": c.failed += n
                    case "cancelled": c.cancelled += n
                    default: break
                    }
                    bySweep[sweep] = c
                }
                let created = try Row.fetchAll(db, sql: "SELECT name FROM sweep ORDER BY created, name").map { $0[0] as String }
                let sorted = created.filter { bySweep[$0] != nil } + order.filter { !created.contains($0) }.sorted()
                return sorted.map { ($0, bySweep[$0]!) }
            }
        }
    }

    /// Stored results per worker id, with the host and build of its latest one.
    func resultsByWorker() throws(StoreError) -> [String: (host: String, build: String, count: Int)] {
        try StoreError.wrap(.read, "count results per worker in \(file)") {
            try pool.read { db in
                var out: [String: (String, String, Int)] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT worker_id, MAX(host), MAX(build_version), COUNT(*) FROM results GROUP BY worker_id
                    """) {
                    out[row[0]] = (row[1], row[2], row[3])
                }
                return out
            }
        }
    }

    /// Jobs leased now, by the worker holding them.
    func leasedByWorker() throws(StoreError) -> [String: [String]] {
        try StoreError.wrap(.read, "read leases in \(file)") {
            try pool.read { db in
                var out: [String: [String]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT worker, id FROM jobs WHERE state = 'leased' AND worker IS NOT NULL ORDER BY rowid") {
                    out[row[0] as String, default: []].append(row[1])
                }
                return out
            }
        }
    }

    /// One page of jobs matching `q`, and how many match in all.
    func jobRows(_ q: JobQuery) throws(StoreError) -> (matching: Int, rows: [WebJobRow]) {
        var conditions: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let k = q.kind { conditions.append("j.kind = ?"); args.append(k) }
        if let m = q.model {
            conditions.append("COALESCE(json_extract(j.spec, '$.synthetic.model'), json_extract(j.spec, '$.pmnist.model')) = ?")
            args.append(m)
        }
        if let h = q.hidden {
            conditions.append("COALESCE(json_extract(j.spec, '$.synthetic.hidden'), json_extract(j.spec, '$.pmnist.hidden')) = ?")
            args.append(h)
        }
        if let s = q.sweep { conditions.append("j.sweep = ?"); args.append(s) }
        switch q.state {
        case "running"?: conditions.append("j.state = 'leased'")
        case "diverged"?: conditions.append("r.status = 'diverged'")
        case let s?: conditions.append("j.state = ?"); args.append(s)
        case nil: break
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let from = "FROM jobs j LEFT JOIN results r ON r.job_id = j.id \(filter)"
        let whereArgs = StatementArguments(args.map { $0.databaseValue })
        return try StoreError.wrap(.read, "list jobs in \(file)") {
            try pool.read { db in
                let matching = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(from)", arguments: whereArgs) ?? 0
                let rows = try Row.fetchAll(db, sql: """
                    SELECT j.id, j.sweep, j.kind, j.state, j.attempts, j.worker, j.spec, r.status,
                           COALESCE(json_extract(r.outcome, '$.metrics.test_r2'), json_extract(r.outcome, '$.metrics.test_accuracy')),
                           j.lease_id, j.last_error, j.updated_at
                    \(from) ORDER BY j.rowid LIMIT ? OFFSET ?
                    """, arguments: whereArgs + [q.limit, q.offset]).map(WebJobRow.init(row:))
                return (matching, rows)
            }
        }
    }

    /// One job with its result row and its lease history (one snapshot), or nil.
    func jobDetail(id: String) throws(StoreError)
        -> (row: WebJobRow, outcome: String?, provenance: Provenance?, finishedAt: Double?, leases: [LeaseRecord])? {
        try StoreError.wrap(.read, "read job \(id) from \(file)") {
            try pool.read { db in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT j.id, j.sweep, j.kind, j.state, j.attempts, j.worker, j.spec, r.status,
                           COALESCE(json_extract(r.outcome, '$.metrics.test_r2'), json_extract(r.outcome, '$.metrics.test_accuracy')),
                           j.lease_id, j.last_error, j.updated_at,
                           r.outcome, r.host, r.worker_id, r.build_version, r.wall_seconds, r.finished_at
                    FROM jobs j LEFT JOIN results r ON r.job_id = j.id WHERE j.id = ?
                    """, arguments: [id]) else { return nil }
                let outcome: String? = row[12]
                let prov = outcome == nil ? nil : Provenance(host: row[13], workerID: row[14], buildVersion: row[15], wallSeconds: row[16])
                return (WebJobRow(row: row), outcome, prov, row[17] as Double?, try leases(ofJob: id, db))
            }
        }
    }

    /// Changes whenever the jobs or results tables or the coordinator's status row change
    /// (`serve` polls it to know when to push an update).
    func changeMark() throws(StoreError) -> String {
        try StoreError.wrap(.read, "read the change mark of \(file)") {
            try pool.read { db in
                let jobs = try Row.fetchOne(db, sql: "SELECT COUNT(*), MAX(updated_at), SUM(attempts) FROM jobs")
                let results = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM results") ?? 0
                let status = try db.tableExists("coordinator_status")
                    ? try String.fetchOne(db, sql: "SELECT body FROM coordinator_status WHERE id = 1") ?? "" : ""
                return "\(jobs?[0] as Int? ?? 0)|\(jobs?[1] as Double? ?? 0)|\(jobs?[2] as Int? ?? 0)|\(results)|\(status.hashValue)"
            }
        }
    }
}

/// A jobs-table row as read, before it becomes a `JobRow`.
struct WebJobRow {
    var id: String
    var sweep: String?
    var kind: String
    var state: String
    var attempts: Int
    var worker: String?
    var spec: String
    var status: String?
    var metric: Double?
    var leaseID: String?
    var lastError: String?
    var updatedAt: Double

    init(row: Row) {
        id = row[0]; sweep = row[1]; kind = row[2]; state = row[3]; attempts = row[4]; worker = row[5]; spec = row[6]
        status = row[7]
        // A non-finite metric is stored as the string "nan"/"inf": not a number here.
        if case .double(let d) = (row[8] as DatabaseValue).storage { metric = d } else if case .int64(let i) = (row[8] as DatabaseValue).storage { metric = Double(i) } else { metric = nil }
        leaseID = row[9]; lastError = row[10]; updatedAt = row[11]
    }
}
