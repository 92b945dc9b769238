import Foundation
import GRDB
import Shared

// Steering a sweep from outside its coordinator: pause, resume and cancel rules in the
// `steering` table (migration v3). Commands and (later) an HTTP layer call these functions; a
// running coordinator reads the rules each round they change (`steeringVersion`) and applies
// them through its scheduler, so it stays the only writer of job states while it runs.

/// What a steering rule does.
public enum SteeringVerb: String, Sendable, CaseIterable {
    /// Matching pending jobs are not handed out until a `resume` lifts the rule.
    case pause
    /// Matching jobs not yet done are cancelled: never run; running ones are stopped.
    case cancel
}

/// One row of the `steering` table.
public struct SteeringRule: Sendable, Equatable {
    public var id: Int64
    public var verb: SteeringVerb
    /// nil: every sweep of the store.
    public var sweep: String?
    public var filter: JobFilter
    /// Seconds since 1970.
    public var created: Double
    /// The store's last job when the rule was made: a cancel rule covers no later job.
    public var lastJob: Int64 = .max

    /// True when the rule covers a job of `sweep` whose spec JSON is `spec`.
    func covers(row: Int64, sweep jobSweep: String?, spec: Data) -> Bool {
        (verb == .pause || row <= lastJob) && (sweep == nil || sweep == jobSweep) && filter.matches(specJSON: spec)
    }
}

/// What a steering call did.
public struct SteeringReport: Sendable, Equatable {
    /// The rule added (pause, cancel), or nil.
    public var rule: SteeringRule?
    /// Rules a `resume` removed.
    public var removed: [SteeringRule] = []
    /// Jobs not yet final that the selection matches.
    public var matching = 0
    /// Jobs marked cancelled here because no coordinator was running (else it does it).
    public var cancelledNow = 0
}

/// The jobs the rules cover among those still to run.
public struct SteeredJobs: Sendable, Equatable {
    public var paused: Set<String> = []
    public var cancelled: Set<String> = []
}

extension Store {
    /// Adds a pause rule for the selection. Pending jobs it covers are no longer handed out
    /// (running ones finish); the rule stays until `resume`.
    @discardableResult
    public func pause(sweep: String?, where filter: JobFilter) throws(StoreError) -> SteeringReport {
        try addRule(.pause, sweep: sweep, filter: filter)
    }

    /// Removes every pause rule the selection covers: of that sweep (any sweep if nil) whose
    /// filter is at least as narrow as `filter` (no filter: every pause rule of the sweep).
    @discardableResult
    public func resume(sweep: String?, where filter: JobFilter) throws(StoreError) -> SteeringReport {
        let rules = try steeringRules()
        let lifted = rules.filter { $0.verb == .pause && (sweep == nil || $0.sweep == sweep) && $0.filter.isNarrower(than: filter) }
        try StoreError.wrap(.write, "remove \(lifted.count) pause rule(s) from \(file)") {
            try pool.write { db in
                for r in lifted { try db.execute(sql: "DELETE FROM steering WHERE id = ?", arguments: [r.id]) }
            }
        }
        var report = SteeringReport(removed: lifted)
        report.matching = try unfinishedJobs().filter { job in
            (sweep == nil || job.sweep == sweep) && filter.matches(specJSON: job.spec)
        }.count
        return report
    }

    /// Adds a cancel rule: jobs it covers that are not done become `cancelled` and never run;
    /// a running coordinator stops the running ones on their workers. With `applyNow` (the caller
    /// holds the store's lock: no coordinator runs) the jobs are marked cancelled at once.
    @discardableResult
    public func cancel(sweep: String?, where filter: JobFilter, applyNow: Bool) throws(StoreError) -> SteeringReport {
        var report = try addRule(.cancel, sweep: sweep, filter: filter)
        if applyNow {
            let ids = try steeredJobs().cancelled
            try apply(ids.sorted().map { .cancel(jobID: $0) })
            report.cancelledNow = ids.count
        }
        return report
    }

    /// `cancel` as `urnn-coordinator cancel` and the web view give it: with no coordinator on the
    /// store, its lock is held for the moment and the jobs are marked at once; otherwise the running
    /// coordinator, the one writer of job states while it runs, does it. `appliedNow` says which.
    public func cancelMarkingAtOnceIfIdle(sweep: String?, where filter: JobFilter) throws(StoreError)
        -> (report: SteeringReport, appliedNow: Bool) {
        let lock = try? StoreLock(storePath: path)
        let report = try cancel(sweep: sweep, where: filter, applyNow: lock != nil)
        withExtendedLifetime(lock) {}
        return (report, lock != nil)
    }

    /// Who applies a rule just written: "the running coordinator (pid ... on host) applies it
    /// within a second", or that none is running.
    public static func steeringNote(storePath: String) -> String {
        StoreLock.holder(storePath: storePath).map { "the running coordinator (\($0)) applies it within a second" }
            ?? "no coordinator is running: it applies when one starts"
    }

    /// Every rule, oldest first.
    public func steeringRules() throws(StoreError) -> [SteeringRule] {
        let rows = try StoreError.wrap(.read, "read steering rules of \(file)") {
            try pool.read { db -> [Row] in
                guard try db.tableExists("steering") else { return [] }
                return try Row.fetchAll(db, sql: "SELECT id, verb, sweep, filter, created, last_job FROM steering ORDER BY id")
            }
        }
        return try rows.map { (row) throws(StoreError) -> SteeringRule in
            let id: Int64 = row[0], verbText: String = row[1], filterText: String = row[3]
            guard let verb = SteeringVerb(rawValue: verbText), let filter = try? JobFilter(parsing: filterText) else {
                throw StoreError(.corrupt, "steering rule \(id) in \(file) does not read (\(verbText) \(filterText))")
            }
            return SteeringRule(id: id, verb: verb, sweep: row[2], filter: filter, created: row[4], lastJob: row[5])
        }
    }

    /// Changes whenever a rule is added or removed: cheap enough for a coordinator to read
    /// every round.
    public func steeringVersion() throws(StoreError) -> String {
        try StoreError.wrap(.read, "read the steering version of \(file)") {
            try pool.read { db in
                guard try db.tableExists("steering") else { return "none" }
                let row = try Row.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0), COUNT(*) FROM steering")
                return "\(row?[0] as Int64? ?? 0)/\(row?[1] as Int64? ?? 0)"
            }
        }
    }

    /// The jobs not yet final (pending or leased) that the rules cover.
    public func steeredJobs() throws(StoreError) -> SteeredJobs {
        let rules = try steeringRules()
        var out = SteeredJobs()
        guard !rules.isEmpty else { return out }
        for job in try unfinishedJobs() {
            for rule in rules where rule.covers(row: job.row, sweep: job.sweep, spec: job.spec) {
                switch rule.verb {
                case .pause: out.paused.insert(job.id)
                case .cancel: out.cancelled.insert(job.id)
                }
            }
        }
        out.paused.subtract(out.cancelled)
        return out
    }

    private func addRule(_ verb: SteeringVerb, sweep: String?, filter: JobFilter) throws(StoreError) -> SteeringReport {
        if let sweep {
            let known = try sweeps().map(\.name)
            guard known.contains(sweep) else {
                throw StoreError(.write, "no sweep \(sweep) in \(file) (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
        }
        let now = clock()
        let (id, lastJob) = try StoreError.wrap(.write, "add a \(verb.rawValue) rule to \(file)") {
            try pool.write { db -> (Int64, Int64) in
                let lastJob = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(rowid), 0) FROM jobs") ?? 0
                try db.execute(sql: "INSERT INTO steering (verb, sweep, filter, created, last_job) VALUES (?, ?, ?, ?, ?)",
                               arguments: [verb.rawValue, sweep, filter.description, now, lastJob])
                return (db.lastInsertedRowID, lastJob)
            }
        }
        var report = SteeringReport(rule: SteeringRule(id: id, verb: verb, sweep: sweep, filter: filter, created: now, lastJob: lastJob))
        report.matching = try unfinishedJobs().filter { (sweep == nil || $0.sweep == sweep) && filter.matches(specJSON: $0.spec) }.count
        return report
    }

    private func unfinishedJobs() throws(StoreError) -> [(id: String, sweep: String?, spec: Data, row: Int64)] {
        try StoreError.wrap(.read, "read unfinished jobs of \(file)") {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, sweep, spec, rowid FROM jobs WHERE state IN ('pending', 'leased') ORDER BY rowid").map {
                    (id: $0[0] as String, sweep: $0[1] as String?, spec: Data(($0[2] as String).utf8), row: $0[3] as Int64)
                }
            }
        }
    }
}
