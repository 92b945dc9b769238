import Foundation

// What the JSON API returns (docs/WEB.md, "API"). Plain values: the coordinator fills them from
// its store and from the snapshot its loop publishes; this module only serves them. A number
// that is not finite (a diverged run's R^2) is `null`.

/// Job counts by state.
public struct JobCounts: Codable, Sendable, Equatable {
    public var total = 0
    public var pending = 0
    public var running = 0
    public var done = 0
    public var failed = 0
    /// Done jobs whose training diverged (included in `done`).
    public var diverged = 0
    /// Jobs cancelled by `cancel` (steering): final, never run.
    public var cancelled = 0
    public init() {}
}

/// `GET /api/sweep`: progress of everything in the store, per sweep, and the live coordinator.
public struct SweepView: Codable, Sendable, Equatable {
    public struct PerSweep: Codable, Sendable, Equatable {
        public var name: String
        public var counts: JobCounts
        public init(name: String, counts: JobCounts) { self.name = name; self.counts = counts }
    }
    public var store: String
    public var counts: JobCounts
    public var sweeps: [PerSweep]
    /// (done + failed) / total, 1 for an empty store.
    public var fraction: Double
    /// Finished jobs per minute over the last minute; nil before there is a rate.
    public var jobsPerMinute: Double?
    /// Seconds until the rest finishes at that rate; nil when unknown.
    public var etaSeconds: Double?
    /// A coordinator is running on this store and publishing (in this process, or per its status row).
    public var live: Bool
    /// The coordinator's own report, when one ever ran on this store.
    public var coordinator: CoordinatorView?
    /// The feed version this view was built at (the `version` of SSE `update` events).
    public var version: UInt64
    public init(store: String, counts: JobCounts, sweeps: [PerSweep], fraction: Double, jobsPerMinute: Double?,
                etaSeconds: Double?, live: Bool, coordinator: CoordinatorView?, version: UInt64) {
        self.store = store; self.counts = counts; self.sweeps = sweeps; self.fraction = fraction
        self.jobsPerMinute = jobsPerMinute; self.etaSeconds = etaSeconds; self.live = live
        self.coordinator = coordinator; self.version = version
    }
}

public struct CoordinatorView: Codable, Sendable, Equatable {
    public var pid: Int
    public var endpoint: String
    public var session: String
    /// Seconds since 1970 of its last word.
    public var updatedAt: Double
    public var finished: Bool
    public var stopped: Bool
    /// Loop counters (this process's coordinator only).
    public var counters: LoopCounters?
    public init(pid: Int, endpoint: String, session: String, updatedAt: Double, finished: Bool, stopped: Bool,
                counters: LoopCounters?) {
        self.pid = pid; self.endpoint = endpoint; self.session = session; self.updatedAt = updatedAt
        self.finished = finished; self.stopped = stopped; self.counters = counters
    }
}

/// Cumulative counters of this coordinator run (the figures behind /metrics).
public struct LoopCounters: Codable, Sendable, Equatable {
    public var messagesIn = 0
    public var malformed = 0
    public var resultsStored = 0
    public var duplicates = 0
    public var leaseExpiries = 0
    public var retries = 0
    public var requeued = 0
    public var workersLost = 0
    public var rounds = 0
    public var commits = 0
    public init() {}
}

/// One worker, as the loop sees it (`GET /api/workers`).
public struct WorkerView: Codable, Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int?
    public var slots: Int?
    /// Job ids it holds leases for.
    public var running: [String]
    /// Seconds since it was last heard from; nil when not connected.
    public var lastHeardSecondsAgo: Double?
    /// `BuildInfo.build` it said hello with, e.g. `urnnsweep-0.1.0+x86-64-v3`.
    public var build: String?
    /// The instruction-set part of `build`.
    public var instructionSet: String?
    /// Results it produced that are stored (over the store's life).
    public var jobsDone: Int
    public var connected: Bool
    public init(id: String, host: String, pid: Int?, slots: Int?, running: [String], lastHeardSecondsAgo: Double?,
                build: String?, instructionSet: String?, jobsDone: Int, connected: Bool) {
        self.id = id; self.host = host; self.pid = pid; self.slots = slots; self.running = running
        self.lastHeardSecondsAgo = lastHeardSecondsAgo; self.build = build; self.instructionSet = instructionSet
        self.jobsDone = jobsDone; self.connected = connected
    }
}

public struct WorkersView: Codable, Sendable, Equatable {
    public var alive: Int
    public var workers: [WorkerView]
    public init(alive: Int, workers: [WorkerView]) { self.alive = alive; self.workers = workers }
}

/// One row of `GET /api/jobs`.
public struct JobRow: Codable, Sendable, Equatable {
    public var id: String
    public var sweep: String?
    public var kind: String
    public var model: String?
    public var hidden: Int?
    /// pending, running, done, failed (`running` is the store's `leased`).
    public var state: String
    /// ok or diverged, for done jobs.
    public var status: String?
    public var attempts: Int
    public var worker: String?
    /// The headline metric of a done job: test R^2 (synthetic) or test accuracy (pmnist).
    public var metric: Double?
    public var summary: String
    public init(id: String, sweep: String?, kind: String, model: String?, hidden: Int?, state: String, status: String?,
                attempts: Int, worker: String?, metric: Double?, summary: String) {
        self.id = id; self.sweep = sweep; self.kind = kind; self.model = model; self.hidden = hidden; self.state = state
        self.status = status; self.attempts = attempts; self.worker = worker; self.metric = metric; self.summary = summary
    }
}

public struct JobsView: Codable, Sendable, Equatable {
    /// Jobs matching the filter (all pages).
    public var matching: Int
    public var offset: Int
    public var limit: Int
    public var jobs: [JobRow]
    public init(matching: Int, offset: Int, limit: Int, jobs: [JobRow]) {
        self.matching = matching; self.offset = offset; self.limit = limit; self.jobs = jobs
    }
}

/// One lease of a job (`JobView.leases`), as the store's lease history keeps it.
public struct LeaseView: Codable, Sendable, Equatable {
    /// `<session>-<n>`: unique per coordinator run.
    public var id: String
    public var worker: String
    /// The worker's host from its HELLO (nil for leases recorded before the history kept hosts).
    public var host: String?
    /// Seconds since 1970.
    public var grantedAt: Double
    /// nil while the lease is held.
    public var endedAt: Double?
    /// How it ended: `result` (its result was stored), `failed`, `requeued` or `cancelled`; nil while held.
    public var ending: String?
    /// `failed`: the error; `requeued`: why (lease expired, worker dead, handed back, worker
    /// restarted, timed out after N s, coordinator restarted).
    public var reason: String?
    public init(id: String, worker: String, host: String?, grantedAt: Double, endedAt: Double?, ending: String?, reason: String?) {
        self.id = id; self.worker = worker; self.host = host; self.grantedAt = grantedAt; self.endedAt = endedAt
        self.ending = ending; self.reason = reason
    }
}

/// `GET /api/jobs/ID`: everything known about one job.
public struct JobView: Codable, Sendable, Equatable {
    public struct Result: Codable, Sendable, Equatable {
        public var status: String
        public var metrics: [String: Double?]
        /// Per-epoch series by name (train_loss, test_loss, test_r2, ...).
        public var series: [String: [Double?]]
        /// Divergence-guard interventions and other notes.
        public var events: [String]
        public var divergedEpoch: Int?
        public var host: String
        public var worker: String
        public var build: String
        public var wallSeconds: Double
        public var finishedAt: Double
        public init(status: String, metrics: [String: Double?], series: [String: [Double?]], events: [String],
                    divergedEpoch: Int?, host: String, worker: String, build: String, wallSeconds: Double, finishedAt: Double) {
            self.status = status; self.metrics = metrics; self.series = series; self.events = events
            self.divergedEpoch = divergedEpoch; self.host = host; self.worker = worker; self.build = build
            self.wallSeconds = wallSeconds; self.finishedAt = finishedAt
        }
    }
    public var row: JobRow
    /// The canonical spec JSON, as stored (its SHA-256 prefix is the id).
    public var spec: String
    /// Leases granted over the store's life (`leases` lists those since the history began).
    public var attempts: Int
    /// The current lease (running jobs); its holder is `row.worker`.
    public var leaseID: String?
    public var lastError: String?
    public var updatedAt: Double
    public var result: Result?
    /// The per-epoch curves as an SVG figure (nil before a result).
    public var curvesSVG: String?
    /// Every lease the job was given, oldest first, and how each ended.
    public var leases: [LeaseView]
    public init(row: JobRow, spec: String, attempts: Int, leaseID: String?, lastError: String?, updatedAt: Double,
                result: Result?, curvesSVG: String?, leases: [LeaseView] = []) {
        self.row = row; self.spec = spec; self.attempts = attempts; self.leaseID = leaseID; self.lastError = lastError
        self.updatedAt = updatedAt; self.result = result; self.curvesSVG = curvesSVG; self.leases = leases
    }
}

/// `GET /api/results`: the report's tables and figures over the stored results.
public struct ResultsView: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var title: String
        public var note: String?
        public var columns: [String]
        public var rows: [[String]]
        public init(title: String, note: String?, columns: [String], rows: [[String]]) {
            self.title = title; self.note = note; self.columns = columns; self.rows = rows
        }
    }
    public struct Figure: Codable, Sendable, Equatable {
        public var name: String
        public var title: String
        public var svg: String
        public init(name: String, title: String, svg: String) { self.name = name; self.title = title; self.svg = svg }
    }
    /// Stored results these were computed from.
    public var records: Int
    public var tables: [Table]
    public var figures: [Figure]
    public init(records: Int, tables: [Table], figures: [Figure]) {
        self.records = records; self.tables = tables; self.figures = figures
    }
}

/// What the loop publishes after each round that changed something (`LiveFeed`).
public struct LiveSnapshot: Sendable, Equatable {
    public var counts: JobCounts
    public var jobsPerMinute: Double?
    public var workers: [WorkerView]
    public var coordinator: CoordinatorView
    public init(counts: JobCounts, jobsPerMinute: Double?, workers: [WorkerView], coordinator: CoordinatorView) {
        self.counts = counts; self.jobsPerMinute = jobsPerMinute; self.workers = workers; self.coordinator = coordinator
    }
}
