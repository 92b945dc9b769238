import Foundation
import GRDB
import Shared

/// The coordinator's durable store: one SQLite file in WAL mode, through GRDB.
///
/// Tables (see `migrator`):
///
///     sweep   (name PK, definition, created)
///     jobs    (id PK = JobSpec.id, sweep, spec canonical JSON, kind, state, attempts,
///              lease_id, worker, last_error, updated_at)
///     results (job_id PK -> jobs.id, status, outcome JSON, host, worker_id,
///              build_version, wall_seconds, finished_at)
///     coordinator_status (id = 1, body JSON): what a running coordinator says about itself
///     steering (id, verb, sweep, filter, created, last_job): pause and cancel rules (Store+Steering.swift)
///     leases  (lease_id, job_id -> jobs.id, worker, host, granted_at, ended_at, ending, detail):
///              every lease a job was given, oldest first (rowid order); Store+Leases.swift
///
/// `jobs.state` is `pending`, `leased`, `done`, `failed` or `cancelled` (by the user; final);
/// `attempts` counts leases granted. A `leases` row is written with the lease (`.lease`) and
/// ended (`ending` = result, failed, requeued or cancelled) by the write that ends it, in the
/// same transaction as the job's own change: one INSERT per lease, one UPDATE per end.
/// A result row is written at most once per job and never overwritten: `results.job_id`
/// is the primary key and inserts are `INSERT OR IGNORE`. A job is `done` exactly when it has
/// a result row; both change in the same transaction.
///
/// Durability: every write is one transaction. With `.full` (the default; SQLite's
/// `synchronous = FULL`) a committed transaction survives a process kill and a power loss, at
/// one fsync per transaction (about 6 ms on this machine's disk); `.normal` survives a process
/// kill but may lose the last transactions on power loss. Throughput comes from batching
/// (`apply(_:)` takes many operations per transaction): at 6 ms per commit, batches of 30
/// already carry 5,000 results/s, and a loop that commits what arrived during the previous
/// commit grows its batches by itself.
/// Readers (e.g. `urnn-coordinator status` in another process) never block the writer in WAL
/// mode; a busy timeout covers the moments when two writers meet. Commands that only read open
/// with `Store(readingAt:)` (Store+Open.swift): read-only, never creating or migrating anything,
/// refusing a file that is not a store, and working on read-only media.
///
/// Times are seconds since 1970 from the injected `clock`.
public final class Store: Sendable {
    public let path: String
    /// A `DatabasePool` (WAL) when writing; a read-only `DatabaseQueue` for `Store(readingAt:)`.
    let pool: any DatabaseWriter
    let clock: @Sendable () -> Double

    /// How hard a commit waits for the disk.
    public enum Durability: String, Sendable {
        /// fsync on every commit: survives power loss.
        case full = "FULL"
        /// fsync at checkpoints only: survives a process kill, not a power loss.
        case normal = "NORMAL"
    }

    /// Opens (and creates, with its directory, unless `create` is false) the store at `path`,
    /// migrating its schema. An existing file that is not empty must be a store (`StoreError.notAStore`
    /// otherwise: nothing is written into someone else's database or a mistyped file).
    /// `busyTimeout`: seconds to wait for another connection's write lock before failing.
    public init(path: String, create: Bool = true, durability: Durability = .full, busyTimeout: Double = 10,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws(StoreError) {
        self.path = path
        self.clock = clock
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.open, "no store at \(path)")
        }
        if Self.fileSize(path) ?? 0 > 0 { _ = try Store(readingAt: path) }
        let parent = (path as NSString).deletingLastPathComponent
        if create && !parent.isEmpty {
            try StoreError.wrap(.open, "create directory \(parent)") {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.label = "urnn-store"
        let sync = durability.rawValue
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(sync)") }
        pool = try StoreError.wrap(.open, "open \(path)") { try DatabasePool(path: path, configuration: config) }
        // DatabasePool switches the writer to WAL after prepareDatabase ran, and sets
        // synchronous = NORMAL while doing so: set the durability again on the writer itself.
        try StoreError.wrap(.open, "set synchronous = \(sync) on \(path)") {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(sync)") }
        }
        try StoreError.wrap(.migrate, "migrate \(path)") { try Self.migrator.migrate(pool) }
    }

    /// A store over an open connection (`Store(readingAt:)`).
    init(path: String, pool: any DatabaseWriter, clock: @escaping @Sendable () -> Double) {
        self.path = path
        self.pool = pool
        self.clock = clock
    }

    /// SQLite's `synchronous` setting of the writer connection (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA).
    public func synchronousLevel() throws(StoreError) -> Int {
        try StoreError.wrap(.read, "read synchronous of \(path)") {
            try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "sweep") { t in
                t.primaryKey("name", .text)
                t.column("definition", .text).notNull()
                t.column("created", .double).notNull()
            }
            try db.create(table: "jobs") { t in
                t.primaryKey("id", .text)
                t.column("sweep", .text)
                t.column("spec", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("state", .text).notNull().defaults(to: "pending")
                    .check(sql: "state IN ('pending', 'leased', 'done', 'failed')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("lease_id", .text)
                t.column("worker", .text)
                t.column("last_error", .text)
                t.column("updated_at", .double).notNull()
            }
            try db.create(index: "jobs_state", on: "jobs", columns: ["state"])
            try db.create(table: "results") { t in
                t.primaryKey("job_id", .text).references("jobs")
                t.column("status", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("host", .text).notNull()
                t.column("worker_id", .text).notNull()
                t.column("build_version", .text).notNull()
                t.column("wall_seconds", .double).notNull()
                t.column("finished_at", .double).notNull()
            }
        }
        // What a running coordinator says about itself (CoordinatorStatus.swift). Stores of the
        // v1 schema that a coordinator ran on already have it (it used to be created on first
        // write, outside the migrations): IF NOT EXISTS keeps them.
        m.registerMigration("v2-coordinator-status") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS coordinator_status (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    body TEXT NOT NULL)
                """)
        }
        // Steering (Store+Steering.swift): the `cancelled` job state, which the v1 CHECK does not
        // allow, so `jobs` is rebuilt (SQLite cannot alter a CHECK), and the table of pause and
        // cancel rules that `pause`/`resume`/`cancel` write beside a running coordinator.
        m.registerMigration("v3-steering", foreignKeyChecks: .deferred) { db in
            try db.create(table: "jobs_v3") { t in
                t.primaryKey("id", .text)
                t.column("sweep", .text)
                t.column("spec", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("state", .text).notNull().defaults(to: "pending")
                    .check(sql: "state IN ('pending', 'leased', 'done', 'failed', 'cancelled')")
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("lease_id", .text)
                t.column("worker", .text)
                t.column("last_error", .text)
                t.column("updated_at", .double).notNull()
            }
            // rowid order is job order (resume, export): keep it.
            try db.execute(sql: """
                INSERT INTO jobs_v3 (rowid, id, sweep, spec, kind, state, attempts, lease_id, worker, last_error, updated_at)
                SELECT rowid, id, sweep, spec, kind, state, attempts, lease_id, worker, last_error, updated_at FROM jobs
                """)
            try db.drop(table: "jobs")
            try db.rename(table: "jobs_v3", to: "jobs")
            try db.create(index: "jobs_state", on: "jobs", columns: ["state"])
            try db.create(table: "steering") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("verb", .text).notNull().check(sql: "verb IN ('pause', 'cancel')")
                t.column("sweep", .text)
                t.column("filter", .text).notNull()
                t.column("created", .double).notNull()
                // The last job (rowid) when the rule was made: a cancel covers only jobs that
                // existed then, not those of a sweep added to the store later.
                t.column("last_job", .integer).notNull().defaults(to: 0)
            }
        }
        // Lease history (Store+Leases.swift): every lease a job was given and how it ended. A job
        // leased when the store is migrated gets its current lease (granted when the job row last
        // changed, which for a leased job is its lease); the next `resumeState` ends it.
        m.registerMigration("v4-leases") { db in
            try db.create(table: "leases") { t in
                t.column("lease_id", .text).notNull()
                t.column("job_id", .text).notNull().references("jobs")
                t.column("worker", .text).notNull()
                t.column("host", .text)
                t.column("granted_at", .double).notNull()
                t.column("ended_at", .double)
                t.column("ending", .text).check(sql: "ending IN ('result', 'failed', 'requeued', 'cancelled')")
                t.column("detail", .text)
            }
            // The only index: a job's leases (its page, and ending its open lease).
            try db.create(index: "leases_job", on: "leases", columns: ["job_id"])
            try db.execute(sql: """
                INSERT INTO leases (lease_id, job_id, worker, granted_at)
                SELECT lease_id, id, COALESCE(worker, ''), updated_at FROM jobs
                WHERE state = 'leased' AND lease_id IS NOT NULL ORDER BY rowid
                """)
        }
        return m
    }

    var file: String { (path as NSString).lastPathComponent }

    // MARK: Setting up

    /// Records the sweep (its definition is replaced if the name exists) and inserts its jobs,
    /// ignoring ids already stored. Returns how many jobs were new.
    @discardableResult
    public func addJobs(_ specs: [JobSpec], sweepName: String, definition: String) throws(StoreError) -> Int {
        let rows = specs.map { spec in
            (id: spec.id, json: String(decoding: spec.canonicalJSON(), as: UTF8.self), kind: spec.kind.rawValue)
        }
        let now = clock()
        return try StoreError.wrap(.write, "add \(specs.count) jobs of sweep \(sweepName) to \(file)") {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO sweep (name, definition, created) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET definition = excluded.definition
                    """, arguments: [sweepName, definition, now])
                let insert = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO jobs (id, sweep, spec, kind, state, attempts, updated_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?)
                    """)
                var added = 0
                for r in rows {
                    try insert.execute(arguments: [r.id, sweepName, r.json, r.kind, now])
                    added += db.changesCount
                }
                return added
            }
        }
    }

    /// Prepares a (re)start: leased jobs go back to pending (their leases belonged to a
    /// previous run, and end in the lease history as requeued: coordinator restarted), any job with a result is `done`, and with `retryFailed` failed jobs
    /// get another chance. Returns what the scheduler starts from.
    public func resumeState(retryFailed: Bool = false) throws(StoreError) -> ResumeState {
        let now = clock()
        let raw = try StoreError.wrap(.write, "resume \(file)") {
            try pool.write { db in
                try db.execute(sql: """
                    UPDATE jobs SET state = 'done', lease_id = NULL, worker = NULL, updated_at = ?
                    WHERE state != 'done' AND id IN (SELECT job_id FROM results)
                    """, arguments: [now])
                let holders = try Row.fetchAll(db, sql: "SELECT id, worker FROM jobs WHERE state = 'leased' AND worker IS NOT NULL")
                    .map { (id: $0[0] as String, worker: $0[1] as String) }
                try db.execute(sql: """
                    UPDATE jobs SET state = 'pending', lease_id = NULL, worker = NULL, updated_at = ?
                    WHERE state = 'leased'
                    """, arguments: [now])
                let requeued = db.changesCount
                // Leases of the previous run end here (the job went back to pending above).
                try db.execute(sql: "UPDATE leases SET ended_at = ?, ending = 'requeued', detail = ? WHERE ended_at IS NULL",
                               arguments: [now, RequeueCause.coordinatorRestarted.description])
                if retryFailed {
                    try db.execute(sql: "UPDATE jobs SET state = 'pending', updated_at = ? WHERE state = 'failed'",
                                   arguments: [now])
                }
                let pending = try Row.fetchAll(db, sql: "SELECT id, kind FROM jobs WHERE state = 'pending' ORDER BY rowid")
                    .map { (id: $0[0] as String, kind: $0[1] as String) }
                let done = try String.fetchAll(db, sql: "SELECT id FROM jobs WHERE state = 'done' ORDER BY rowid")
                let failed = try String.fetchAll(db, sql: "SELECT id FROM jobs WHERE state = 'failed' ORDER BY rowid")
                let cancelled = try String.fetchAll(db, sql: "SELECT id FROM jobs WHERE state = 'cancelled' ORDER BY rowid")
                return (pending, done, failed, requeued, holders, cancelled)
            }
        }
        let pending = try raw.0.map { (r) throws(StoreError) -> Scheduler.PendingJob in
            guard let kind = JobKind(rawValue: r.kind) else {
                throw StoreError(.corrupt, "job \(r.id) in \(file) has unknown kind \(r.kind)")
            }
            return Scheduler.PendingJob(id: r.id, kind: kind)
        }
        return ResumeState(pending: pending, done: raw.1, failed: raw.2, requeuedLeases: raw.3,
                           priorHolders: Dictionary(raw.4.map { ($0.id, $0.worker) }, uniquingKeysWith: { a, _ in a }),
                           cancelled: raw.5)
    }

    /// The sweeps recorded in this store, oldest first.
    public func sweeps() throws(StoreError) -> [SweepRecord] {
        try StoreError.wrap(.read, "read sweeps from \(file)") {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT name, definition, created FROM sweep ORDER BY created, name").map {
                    SweepRecord(name: $0[0], definition: $0[1], created: $0[2])
                }
            }
        }
    }
}
