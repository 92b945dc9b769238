import Foundation
import GRDB
import Shared

/// Any failure of the durable store, with what it was doing. GRDB's errors are wrapped,
/// keeping SQLite's result code so callers can tell "busy" from "corrupt".
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The file could not be opened or created, or does not exist when it must.
        case open
        /// The schema could not be created or upgraded.
        case migrate
        case read
        case write
        /// A stored row does not decode (bad JSON, unknown job kind): a newer build's store,
        /// or a damaged one.
        case corrupt
        /// The file exists but is not a URNNSweep store (empty, not SQLite, or another schema).
        case notAStore
        /// SQLite's `quick_check` found damage: pages, indexes or rows that do not hold together.
        case damaged
    }

    public var code: Code
    /// What the store was doing, e.g. "commit 200 results to results.sqlite".
    public var context: String
    /// The underlying error's description, if any.
    public var underlying: String?
    /// SQLite's extended result code, when the cause was SQLite.
    public var sqliteCode: Int32?

    public init(_ code: Code, _ context: String, underlying: String? = nil, sqliteCode: Int32? = nil) {
        self.code = code; self.context = context; self.underlying = underlying; self.sqliteCode = sqliteCode
    }

    public var description: String {
        switch code {
        case .notAStore, .damaged: return context + (underlying.map { " (\($0))" } ?? "")
        default: return "store \(code.rawValue) error: \(context)" + (underlying.map { ": \($0)" } ?? "")
        }
    }

    /// Runs `body`, turning whatever it throws into a `StoreError` with this context.
    static func wrap<T>(_ code: Code, _ context: @autoclosure () -> String,
                        _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError {
            throw StoreError(code, context(), underlying: e.description, sqliteCode: e.extendedResultCode.rawValue)
        } catch {
            throw StoreError(code, context(), underlying: String(describing: error))
        }
    }
}

/// What `Store.resumeState()` hands the scheduler.
public struct ResumeState: Sendable, Equatable {
    /// Jobs to run, in the order they were added.
    public var pending: [Scheduler.PendingJob]
    /// Jobs with a stored result: never run again.
    public var done: [String]
    /// Jobs that failed for good (kept failed unless resumed with `retryFailed`).
    public var failed: [String]
    /// How many leased jobs were put back to pending (leases of a previous run).
    public var requeuedLeases: Int
    /// The worker that held each of those leases: its late result still counts.
    public var priorHolders: [String: String] = [:]
    /// Jobs cancelled by the user: never run.
    public var cancelled: [String] = []
}

/// One lease to record (from a scheduler `.assign`).
public struct LeaseGrant: Sendable, Equatable {
    public var jobID: String
    public var leaseID: String
    public var worker: String
    /// The worker's host from its HELLO, when known (kept in the lease history).
    public var host: String?
    public init(jobID: String, leaseID: String, worker: String, host: String? = nil) {
        self.jobID = jobID; self.leaseID = leaseID; self.worker = worker; self.host = host
    }
}

/// Why a lease was taken back before its run ended: the `detail` of a `requeued` lease.
public enum RequeueCause: Sendable, Equatable, CustomStringConvertible {
    /// No heartbeat listed the job for the lease timeout.
    case leaseExpired
    /// Its worker went silent and was declared dead.
    case workerDead
    /// The worker handed it back (or left) with a DISCONNECT.
    case handedBack
    /// The worker said hello again without listing the job.
    case workerRestarted
    /// It ran past the sweep's `timeout` and was stopped (`attempt` timeouts so far).
    case timedOut(seconds: Double, attempt: Int)
    /// The coordinator stopped while the lease was out (`Store.resumeState` at the next start).
    case coordinatorRestarted

    public var description: String {
        switch self {
        case .leaseExpired: "lease expired"
        case .workerDead: "worker dead"
        case .handedBack: "handed back"
        case .workerRestarted: "worker restarted"
        case .timedOut(let seconds, _): "timed out after \(Self.seconds(seconds)) s"
        case .coordinatorRestarted: "coordinator restarted"
        }
    }

    /// What the job's `last_error` says after this requeue (nil: left as it was).
    var lastError: String? {
        if case let .timedOut(seconds, attempt) = self { return "timed out after \(Self.seconds(seconds)) s (attempt \(attempt))" }
        return nil
    }

    static func seconds(_ s: Double) -> String { s.rounded() == s && abs(s) < 1e15 ? String(Int(s)) : String(s) }
}

/// How a lease ended (`leases.ending`).
public enum LeaseEnding: String, Sendable, Equatable, CaseIterable {
    /// Its run's result was stored.
    case result
    /// Its run failed (`detail`: the error); the job was retried or failed for good.
    case failed
    /// Taken back without a result (`detail`: a `RequeueCause`).
    case requeued
    /// The job was cancelled by the user while it ran.
    case cancelled
}

/// One row of the lease history (`Store.leases(ofJob:)`).
public struct LeaseRecord: Sendable, Equatable {
    public var leaseID: String
    public var jobID: String
    public var worker: String
    public var host: String?
    /// Seconds since 1970 (the store's clock at the commit that recorded it).
    public var grantedAt: Double
    /// nil while the lease is held.
    public var endedAt: Double?
    public var ending: LeaseEnding?
    /// The failure's message, or the requeue's cause.
    public var detail: String?
    public init(leaseID: String, jobID: String, worker: String, host: String?, grantedAt: Double,
                endedAt: Double?, ending: LeaseEnding?, detail: String?) {
        self.leaseID = leaseID; self.jobID = jobID; self.worker = worker; self.host = host; self.grantedAt = grantedAt
        self.endedAt = endedAt; self.ending = ending; self.detail = detail
    }
}

/// One result to commit (from a scheduler `.commitResult` plus the worker's payload).
public struct ResultCommit: Sendable, Equatable {
    public var jobID: String
    public var leaseID: String?
    public var outcome: JobOutcome
    public var provenance: Provenance
    public init(jobID: String, leaseID: String?, outcome: JobOutcome, provenance: Provenance) {
        self.jobID = jobID; self.leaseID = leaseID; self.outcome = outcome; self.provenance = provenance
    }
}

/// One change to the jobs table; a batch of them is applied in order in one transaction.
public enum StoreOp: Sendable, Equatable {
    case lease(LeaseGrant)
    case result(ResultCommit)
    /// Back to pending (lease expired, worker dead, handed back, worker restarted, timed out);
    /// a timeout also sets `last_error`.
    case requeue(jobID: String, cause: RequeueCause)
    /// A failed run: `final` marks the job failed, otherwise it goes back to pending.
    case failure(jobID: String, message: String, final: Bool)
    /// Cancelled by the user: the job becomes `cancelled` (final) unless it is done.
    case cancel(jobID: String)
}

/// What a batch did with its results.
public struct CommitReport: Sendable, Equatable {
    /// Results stored now, in batch order.
    public var committed: [String] = []
    /// Results skipped because the job already had one (never overwritten).
    public var duplicates: [String] = []
    /// Results, leases, requeues or failures naming a job the store does not have.
    public var unknown: [String] = []
    public init() {}
}

/// Job counts by state, plus how many results diverged.
public struct StoreCounts: Sendable, Equatable {
    public var total = 0
    public var pending = 0
    public var leased = 0
    public var done = 0
    public var failed = 0
    public var cancelled = 0
    /// Done jobs whose outcome status is `diverged` (included in `done`).
    public var diverged = 0
    public init() {}
}

/// A job that failed for good, with its last error.
public struct FailureRecord: Sendable, Equatable {
    public var jobID: String
    public var spec: JobSpec
    /// Leases granted over the store's life.
    public var attempts: Int
    public var lastError: String?
}

/// A sweep definition recorded in the store.
public struct SweepRecord: Sendable, Equatable {
    public var name: String
    public var definition: String
    /// Seconds since 1970 when first added.
    public var created: Double
}
