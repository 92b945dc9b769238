import Shared

/// The coordinator's scheduler: a pure state machine. Events go in (a `mutating func`
/// each), `[Action]`s come out; it does no I/O and never reads a clock: every event
/// carries `now`, seconds on a monotonic clock. One loop owns the socket and the store,
/// feeds the events and applies the actions in order.
///
/// ## Rules
///
/// **Jobs.** A job is `pending`, `leased` (to exactly one worker, under one lease), `done`
/// or `failed`. `done` and `failed` are final. Jobs known done at start are never handed out.
///
/// **Leases.** Each assignment creates a lease with a fresh id `"<sessionID>-<n>"` (n counts
/// up from 1) and a deadline `now + leaseTimeout` (default `liveness * heartbeatInterval`).
/// A heartbeat that lists the job (or lists nothing at all: `running == nil`) renews the
/// deadline. `tick` requeues leases whose deadline has passed (`now > deadline`), e.g. an
/// assignment the worker never received. A worker therefore MUST heartbeat at a fixed pace
/// while busy, listing its running jobs, even when it sends other messages too.
///
/// **Dispatch.** A worker holds at most `capacity` leases at once; `capacity` is its hello's
/// `slots`, and `credit(free:)` sets it to `min(slots, leasesHeld + free)` (so a stale or
/// repeated credit can never push a worker past its slots). A result or failure frees its
/// slot by itself: no credit is needed after a result. Workers with room take turns
/// (round robin, one job per turn); each takes the oldest pending job of a kind it runs
/// (a hello with no kinds gets no job: PROTOCOL.md section 6, rule 2). Requeued jobs go to the back of the queue.
///
/// **Liveness.** Any message from a worker counts as a heartbeat (`touch`; every event here
/// touches). A worker silent for more than `liveness * heartbeatInterval` is declared dead by
/// `tick`: `.workerDead`, and its leases are requeued. The coordinator sends
/// `.sendHeartbeat` to a worker when it sent it nothing (assign, ack) for an interval.
/// Heartbeats and credit from a worker that is not known (never said hello, or declared
/// dead) get `.reject(.unknownWorker)`: it must say hello again.
///
/// **Reconnect.** A hello listing jobs that are done, failed for good or not in the sweep (its
/// leases from an earlier coordinator session) gets an `.ack` (or `.reject(.unknownJob)`) for
/// each: the worker drops them instead of running them. A hello from a known id means the worker reconnected. Its slots, kinds and
/// capacity are reset from the hello. If the hello lists the jobs it still runs
/// (`running != nil`), leases it does not list are requeued at once (`.workerRestarted`) and
/// the listed ones renewed; if it lists nothing (`running == nil`), its leases are kept and
/// live or die by the lease deadline like any other lease.
///
/// **Disconnect.** All leases of the worker are requeued (`.handedBack`), the worker forgotten.
///
/// **Steering** (Scheduler+Steering.swift). `setPaused` names the jobs pause rules cover: a
/// covered pending job is `.paused` (not queued, counted in `progress.paused`, which keeps the
/// sweep open) until a later call no longer names it. `cancel` makes pending and paused jobs
/// `.cancelled` (final, `.markCancelled`); a leased one also loses its lease and its worker is told
/// to stop it (`.stopOnWorker`, sent as CANCEL), and that slot is not offered again until the
/// worker's credit says it is free. With `jobTimeout`, `tick` stops a run older than the limit the
/// same way and requeues it (`.timedOut`) up to `timeoutRetries` times, then marks it failed.
/// A result for a cancelled job is `.ack(.late)`; a hello listing one gets `.ack(.stale)`.
///
/// **Retries.** A failure report on the current lease counts one attempt; a retryable
/// failure is requeued until `maxAttempts` (default 3) attempts failed, then `.markFailed`
/// with its message; a non-retryable one is marked failed at once. Separately, a job whose
/// lease is lost `maxLeaseLosses` times (worker dead, restarted, or lease expired: the job
/// may be killing its workers) is marked failed. Hand-backs count neither way. The counts
/// live in memory only: a coordinator restart gives every unfinished job a fresh start.
///
/// **Results.** Only a worker with a session reports: a result or failure from an unknown id
/// gets `.reject(.unknownWorker)` (the loop answers hello-required) and nothing else. A result
/// is committed (`.commitResult`, then the loop ACKs) when its job is not final and either the
/// sender holds the job's lease (whatever lease id it names), or the job is pending and the
/// sender held one of its leases earlier in this coordinator's life, or held its last lease
/// before a restart (`priorHolders`): outcomes are a pure function of the spec, so any run by
/// a holder counts. The job becomes `done` at once, so later copies are `.ack(.duplicate)`. A
/// result from an earlier holder while someone else holds the lease (a late result after
/// reassignment), or for a job that failed for good, is acknowledged without committing
/// (`.ack(.late)`). A result from a worker that never held the job is `.ack(.refused)`: not
/// stored (job ids are a public hash of the spec: anyone could plant one), acknowledged so an
/// honest worker forgets it, logged. A failure report is never acknowledged; one on anything
/// but the current lease changes nothing. Results for job ids not in the sweep get
/// `.reject(.unknownJob)`.
///
/// **Ordering contract for the loop.** Apply actions in order. An `.assign` may be sent before its
/// lease is persisted (`CoordinatorServer` sends first and records the lease in the round's
/// commit): after a crash every leased job goes back to pending anyway. Commit every `.commitResult` durably before
/// sending its ACK, and never let a later `.ack` overtake an earlier `.commitResult`
/// (committing a whole batch, then sending all its acks, is fine).
///
/// Bad input from the network never traps; `preconditionFailure` marks programmer errors only.
public struct Scheduler: Sendable {
    public let configuration: Configuration
    var jobs: [String: JobEntry] = [:]
    var workers: [String: WorkerEntry] = [:]
    /// Pending jobs per kind, in queue order; may hold stale entries for jobs that
    /// became final while queued (skipped when reached).
    var queues: [JobKind: Fifo<Queued>] = [:]
    /// Workers with room, in turn order; entries are stale if the worker's epoch changed.
    var ready = Fifo<ReadyEntry>()
    var queueSeq: UInt64 = 0
    var leaseCounter: UInt64 = 0
    var epochCounter: UInt64 = 0
    var counts = Progress(total: 0, done: 0, pending: 0, running: 0, failed: 0, workersAlive: 0)
    /// Jobs a pause rule covers (`setPaused`): while pending they are `.paused`, not queued.
    var paused: Set<String> = []

    /// - Parameters:
    ///   - pending: jobs to run, in order (from `Store.resumeState()`).
    ///   - done: ids already having a result; never handed out. Wins over `pending`.
    ///   - failed: ids already failed for good; never handed out.
    ///   - priorHolders: for pending jobs that were leased when the previous coordinator stopped,
    ///     the worker that held them: its result still counts (`Store.resumeState()`).
    public init(configuration: Configuration, pending: [PendingJob],
                done: some Sequence<String>, failed: some Sequence<String> = [String](),
                cancelled: some Sequence<String> = [String](), priorHolders: [String: String] = [:]) {
        precondition(configuration.heartbeatInterval > 0 && configuration.liveness >= 1,
                     "heartbeat interval and liveness must be positive")
        precondition(configuration.maxAttempts >= 1 && configuration.maxLeaseLosses >= 1,
                     "attempt limits must be at least 1")
        self.configuration = configuration
        // Jobs that are final already count in the total too, so a resumed sweep reads
        // "done/total" of the whole store, not done over what is left to run.
        for id in done where jobs[id] == nil {
            jobs[id] = JobEntry(kind: .noop, state: .done)
            counts.done += 1
            counts.total += 1
        }
        for id in failed where jobs[id] == nil {
            jobs[id] = JobEntry(kind: .noop, state: .failed)
            counts.failed += 1
            counts.total += 1
        }
        for id in cancelled where jobs[id] == nil {
            jobs[id] = JobEntry(kind: .noop, state: .cancelled)
            counts.cancelled += 1
            counts.total += 1
        }
        _ = enqueue(pending)
        for (jobID, worker) in priorHolders where jobs[jobID]?.state == .pending { jobs[jobID]!.holders.insert(worker) }
    }

    /// Every job kind this build knows, for a worker that runs them all.
    public static let everyKind = Set(JobKind.allCases)

    /// Current progress figures.
    public var progress: Progress { counts }

    /// Adds jobs at run time (ids already known are ignored). Returns assignments, if any.
    public mutating func addJobs(_ pending: [PendingJob], now: Double) -> [Action] {
        guard enqueue(pending) > 0 else { return [] }
        var actions: [Action] = []
        dispatch(now: now, into: &actions)
        return actions
    }

    // MARK: Events from workers

    /// A worker said hello: new, or reconnecting under a known id (see the rules).
    /// A worker gets only jobs of its `kinds` (none if empty; `Scheduler.everyKind` for all). `running`: jobs it says it still runs, if it says.
    public mutating func hello(worker id: String, slots: Int, kinds: Set<JobKind>,
                               running: [String]? = nil, now: Double) -> [Action] {
        guard slots > 0 else { return [.reject(worker: id, reason: .badHello("slots must be at least 1, got \(slots)"))] }
        var actions: [Action] = []
        // Jobs it still holds that this coordinator no longer wants (stored, failed for good, or
        // not in the sweep: leases of an earlier coordinator session): ACK tells it to drop them.
        for jobID in running ?? [] {
            switch jobs[jobID]?.state {
            case nil: actions.append(.reject(worker: id, reason: .unknownJob(jobID: jobID)))
            case .done?, .failed?, .cancelled?: actions.append(.ack(worker: id, jobID: jobID, reason: .stale))
            case .pending?, .paused?, .leased?: break
            }
        }
        if var known = workers[id] {
            known.slots = slots; known.capacity = slots; known.kinds = kinds
            known.lastHeard = max(known.lastHeard, now)
            workers[id] = known
            if let running {
                let listed = Set(running)
                for jobID in known.leases.sorted() where !listed.contains(jobID) {
                    requeue(jobID, reason: .workerRestarted(worker: id), countsAsLoss: true, into: &actions)
                }
                renewLeases(of: id, only: listed, now: now)
            }
        } else {
            epochCounter += 1
            workers[id] = WorkerEntry(epoch: epochCounter, slots: slots, capacity: slots, kinds: kinds,
                                      lastHeard: now, lastSent: now)
            counts.workersAlive += 1
        }
        markReady(id)
        dispatch(now: now, into: &actions)
        return actions
    }

    /// The worker says it has `free` idle slots; capacity becomes `min(slots, held + free)`.
    public mutating func credit(worker id: String, free: Int, now: Double) -> [Action] {
        guard var w = workers[id] else { return [.reject(worker: id, reason: .unknownWorker)] }
        w.lastHeard = max(w.lastHeard, now)
        w.capacity = min(w.slots, w.leases.count + max(0, free))
        workers[id] = w
        var actions: [Action] = []
        markReady(id)
        dispatch(now: now, into: &actions)
        return actions
    }

    /// A heartbeat. `running`: the jobs the worker runs; their leases are renewed
    /// (nil renews all of the worker's leases). Ids not leased to this worker are ignored.
    public mutating func heartbeat(worker id: String, running: [String]?, now: Double) -> [Action] {
        guard workers[id] != nil else { return [.reject(worker: id, reason: .unknownWorker)] }
        touch(worker: id, now: now)
        renewLeases(of: id, only: running.map(Set.init), now: now)
        return []
    }

    /// True while `id` has a session: said hello and was neither declared dead nor left.
    public func isConnected(worker id: String) -> Bool { workers[id] != nil }

    /// Any other message from the worker: it is alive. Unknown ids are ignored.
    public mutating func touch(worker id: String, now: Double) {
        if let heard = workers[id]?.lastHeard, now > heard { workers[id]!.lastHeard = now }
    }

    /// A finished run's result arrived (see the rules for what is committed).
    public mutating func result(worker id: String, _ result: Message.JobResult, now: Double) -> [Action] {
        let jobID = result.jobID
        guard workers[id] != nil else { return [.reject(worker: id, reason: .unknownWorker)] }
        touch(worker: id, now: now)
        guard let job = jobs[jobID] else { return [.reject(worker: id, reason: .unknownJob(jobID: jobID))] }
        switch job.state {
        case .done:
            return [ack(id, jobID, .duplicate, now: now)]
        case .failed, .cancelled:
            return [ack(id, jobID, .late, now: now)]
        case .leased(let lease) where lease.worker != id:
            return [ack(id, jobID, job.holders.contains(id) ? .late : .refused, now: now)]
        case .leased:
            releaseLease(of: jobID)
        case .pending:
            guard job.holders.contains(id) else { return [ack(id, jobID, .refused, now: now)] }
            counts.pending -= 1
        case .paused:
            guard job.holders.contains(id) else { return [ack(id, jobID, .refused, now: now)] }
            counts.paused -= 1
        }
        jobs[jobID]!.state = .done
        counts.done += 1
        if workers[id] != nil { workers[id]!.lastSent = now }
        var actions: [Action] = [.commitResult(result, worker: id)]
        dispatch(now: now, into: &actions)
        return actions
    }

    /// A run failed. Retryable failures are retried up to `maxAttempts`; see the rules.
    public mutating func failure(worker id: String, jobID: String, leaseID: String, message: String,
                                 retryable: Bool, now: Double) -> [Action] {
        guard workers[id] != nil else { return [.reject(worker: id, reason: .unknownWorker)] }
        touch(worker: id, now: now)
        // FAILURE is never acknowledged (PROTOCOL.md 8.6): an ACK would tell a worker that runs
        // the job again under a new lease to drop it. One not on the current lease changes nothing.
        guard let job = jobs[jobID], case .leased(let lease) = job.state, lease.id == leaseID else { return [] }
        releaseLease(of: jobID)
        let attempt = job.failures + 1
        jobs[jobID]!.failures = attempt
        var actions: [Action] = []
        if !retryable || attempt >= configuration.maxAttempts {
            jobs[jobID]!.state = .failed
            counts.failed += 1
            actions.append(.markFailed(jobID: jobID, error: message))
        } else {
            makePending(jobID)
            actions.append(.requeue(jobID: jobID, reason: .failed(message: message, attempt: attempt)))
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// The worker leaves (e.g. on SIGTERM). Every lease it holds is requeued, handed back or
    /// not; the worker is forgotten. Unknown ids are ignored.
    public mutating func disconnect(worker id: String, handedBack: [String], now: Double) -> [Action] {
        guard let w = workers.removeValue(forKey: id) else { return [] }
        counts.workersAlive -= 1
        var actions: [Action] = []
        for jobID in w.leases.sorted() {
            requeue(jobID, reason: .handedBack(worker: id), countsAsLoss: false, into: &actions)
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    // MARK: Time

    /// Declares silent workers dead, expires overdue leases, sends due heartbeats, dispatches.
    /// Call it at least every `heartbeatInterval / 2`, or at `nextTimerDue`.
    public mutating func tick(now: Double) -> [Action] {
        var actions: [Action] = []
        let timeout = configuration.workerTimeout
        for id in workers.keys.filter({ now - workers[$0]!.lastHeard > timeout }).sorted() {
            let w = workers.removeValue(forKey: id)!
            counts.workersAlive -= 1
            actions.append(.workerDead(worker: id))
            for jobID in w.leases.sorted() {
                requeue(jobID, reason: .workerDead(worker: id), countsAsLoss: true, into: &actions)
            }
        }
        var expired: [String] = []
        for w in workers.values {
            for jobID in w.leases where now > (jobs[jobID]?.lease?.deadline ?? .infinity) { expired.append(jobID) }
        }
        for jobID in expired.sorted() {
            requeue(jobID, reason: .leaseExpired, countsAsLoss: true, into: &actions)
        }
        if let limit = configuration.jobTimeout {
            var over: [String] = []
            for w in workers.values {
                for jobID in w.leases where now - (jobs[jobID]?.lease?.started ?? now) > limit { over.append(jobID) }
            }
            for jobID in over.sorted() { timeOut(jobID, limit: limit, into: &actions) }
        }
        for id in workers.keys.filter({ now - workers[$0]!.lastSent >= configuration.heartbeatInterval }).sorted() {
            workers[id]!.lastSent = now
            actions.append(.sendHeartbeat(worker: id))
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// The earliest time at which `tick` has something to do, or nil when nothing is timed.
    public var nextTimerDue: Double? {
        var due = Double.infinity
        for w in workers.values {
            due = min(due, w.lastHeard + configuration.workerTimeout, w.lastSent + configuration.heartbeatInterval)
            for jobID in w.leases {
                due = min(due, jobs[jobID]?.lease?.deadline ?? .infinity)
                if let limit = configuration.jobTimeout, let started = jobs[jobID]?.lease?.started { due = min(due, started + limit) }
            }
        }
        return due.isFinite ? due : nil
    }
}
