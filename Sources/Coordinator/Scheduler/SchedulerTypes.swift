import Shared

// Value types the scheduler takes in and gives out. See Scheduler.swift for the rules.

extension Scheduler {
    /// Timing and retry policy. All times are seconds on a monotonic clock.
    public struct Configuration: Sendable, Equatable {
        /// How often both sides heartbeat (default 1 s).
        public var heartbeatInterval: Double
        /// A worker silent for more than `liveness * heartbeatInterval` is dead (default 3; 3...5 is sensible).
        public var liveness: Int
        /// How long a lease lives without being renewed by a heartbeat listing its job.
        /// nil (the default) means `liveness * heartbeatInterval`, so a lease never
        /// expires before its worker would be declared dead anyway.
        public var leaseTimeout: Double?
        /// A job whose runs report failure this many times is marked failed (default 3).
        public var maxAttempts: Int
        /// A job whose lease is lost this many times (worker died or went silent, lease
        /// expired) is marked failed: it probably kills its workers (default 5).
        public var maxLeaseLosses: Int
        /// Prefix of every lease id, unique per coordinator run (e.g. start time + random
        /// bits, made by the caller), so lease ids never repeat across restarts.
        public var sessionID: String

        /// A run longer than this (seconds from its lease) is stopped on its worker (CANCEL) and
        /// retried up to `timeoutRetries` times, then failed (nil: no limit; sweep file `timeout`).
        public var jobTimeout: Double?
        /// Retries after a timeout (sweep file `timeout_retries`, default 0: fail at once).
        public var timeoutRetries: Int

        public init(heartbeatInterval: Double = 1, liveness: Int = 3, leaseTimeout: Double? = nil,
                    maxAttempts: Int = 3, maxLeaseLosses: Int = 5, sessionID: String,
                    jobTimeout: Double? = nil, timeoutRetries: Int = 0) {
            self.heartbeatInterval = heartbeatInterval; self.liveness = liveness
            self.leaseTimeout = leaseTimeout; self.maxAttempts = maxAttempts
            self.maxLeaseLosses = maxLeaseLosses; self.sessionID = sessionID
            self.jobTimeout = jobTimeout; self.timeoutRetries = timeoutRetries
        }

        /// Silence after which a worker is declared dead: `liveness * heartbeatInterval`.
        public var workerTimeout: Double { Double(liveness) * heartbeatInterval }
        /// The effective lease timeout.
        public var effectiveLeaseTimeout: Double { leaseTimeout ?? workerTimeout }
    }

    /// A job waiting to run, as the store hands it over on start or resume.
    public struct PendingJob: Sendable, Hashable {
        public var id: String
        public var kind: JobKind
        public init(id: String, kind: JobKind) { self.id = id; self.kind = kind }
    }

    /// What the owner of the socket and the store must do, in the order given.
    public enum Action: Sendable, Equatable {
        /// Record the lease in the store (`markLeased`) and send the job to `worker`.
        case assign(jobID: String, worker: String, leaseID: String, deadline: Double)
        /// Commit the worker's result to the store, THEN send ACK(jobID) to `worker`. The
        /// result is carried whole (the store needs its outcome and provenance); its `leaseID`
        /// is the lease the worker named (it may be an expired one, see the rules).
        case commitResult(Message.JobResult, worker: String)
        /// Send ACK(jobID) to `worker` without committing anything. Must not overtake a
        /// `commitResult` returned earlier (apply actions in order, commits before acks).
        case ack(worker: String, jobID: String, reason: AckReason)
        /// The job is pending again; persist with `Store.requeue` (or `recordFailure(final: false)`
        /// for `.failed`).
        case requeue(jobID: String, reason: RequeueReason)
        /// The job gave up; persist with `Store.recordFailure(final: true)`.
        case markFailed(jobID: String, error: String)
        /// Tell `worker` to stop the job (CANCEL): it was cancelled or ran past its time limit.
        /// The lease is already released; the job's own state change is a separate action.
        case stopOnWorker(jobID: String, worker: String, reason: String)
        /// The job was cancelled by the user: persist the final `cancelled` state.
        case markCancelled(jobID: String)
        /// The worker was declared dead (silent too long); forget its routing id.
        case workerDead(worker: String)
        /// Send a heartbeat to `worker` (nothing else was sent to it for an interval).
        case sendHeartbeat(worker: String)
        /// A message that cannot be applied; not a programmer error. The loop logs it and
        /// answers as the protocol says (see `RejectReason`).
        case reject(worker: String, reason: RejectReason)
    }

    public enum AckReason: Sendable, Equatable {
        /// The job already has a committed result; this is a resend.
        case duplicate
        /// The worker's lease was reassigned (or the job already failed for good):
        /// its result or failure is ignored so another worker's run counts.
        case late
        /// A RESULT from a worker that never held the job's lease (not in this coordinator's
        /// life, nor as the last holder before a restart): not stored, logged. Job ids are a
        /// public hash of the spec, so anyone could otherwise plant a result.
        case refused
        /// A job a hello listed that is no longer wanted (stored, failed, or not in the sweep):
        /// the worker drops it.
        case stale
    }

    public enum RequeueReason: Sendable, Equatable {
        /// The run reported a retryable failure (attempt `attempt` of the limit).
        case failed(message: String, attempt: Int)
        /// No heartbeat listed the job for the lease timeout.
        case leaseExpired
        /// Its worker was declared dead.
        case workerDead(worker: String)
        /// The worker said hello again without listing the job among its running ones.
        case workerRestarted(worker: String)
        /// The worker handed it back (or left) with a disconnect.
        case handedBack(worker: String)
        /// It ran past the job time limit (`attempt` timeouts so far) and was stopped.
        case timedOut(seconds: Double, attempt: Int)
    }

    public enum RejectReason: Sendable, Equatable {
        /// Heartbeat or credit from a worker that never said hello or was declared dead:
        /// the loop should ask it to say hello again (e.g. with a DISCONNECT).
        case unknownWorker
        /// A result or failure for a job that is not in this sweep: the loop should answer
        /// so the worker drops it (e.g. ACK or an error), and log it.
        case unknownJob(jobID: String)
        /// A hello that cannot be honoured (e.g. zero slots).
        case badHello(String)
    }

    /// Progress figures, O(1) to read.
    public struct Progress: Sendable, Equatable {
        public var total: Int
        public var done: Int
        public var pending: Int
        public var running: Int
        public var failed: Int
        public var workersAlive: Int
        /// Pending jobs held back by a pause rule (not in `pending`).
        public var paused = 0
        /// Jobs cancelled by the user (final, like `failed`).
        public var cancelled = 0
        /// True when no job is pending, paused or running: the sweep is over.
        public var isFinished: Bool { pending == 0 && running == 0 && paused == 0 }
    }
}

/// How a requeue reads in a job's error text ("lost its lease 3 times (last: worker w1 declared dead)").
extension Scheduler.RequeueReason: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .failed(message, attempt): "failed on attempt \(attempt): \(message)"
        case .leaseExpired: "lease expired"
        case let .workerDead(worker): "worker \(worker) declared dead"
        case let .workerRestarted(worker): "worker \(worker) restarted"
        case let .handedBack(worker): "handed back by worker \(worker)"
        case let .timedOut(seconds, attempt):
            "timed out after \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s (attempt \(attempt))"
        }
    }
}
