import Shared

// The scheduler's bookkeeping: entries, queues, dispatch and lease release.

extension Scheduler {
    struct Lease: Sendable, Equatable {
        var id: String
        var worker: String
        var deadline: Double
        /// When it was granted (for the per-job time limit).
        var started: Double = 0
    }

    enum JobState: Sendable, Equatable {
        case pending
        /// Pending, but a pause rule covers it: not queued, handed out after `resume`.
        case paused
        case leased(Lease)
        case done
        case failed
        /// Cancelled by the user: final, never run again.
        case cancelled
    }

    struct JobEntry: Sendable {
        var kind: JobKind
        var state: JobState
        /// Failure reports on a current lease so far.
        var failures = 0
        /// Leases lost to dead, restarted or silent workers so far.
        var losses = 0
        /// Runs stopped for exceeding the job time limit so far.
        var timeouts = 0
        /// The sequence number of the job's live queue entry; other entries for it are stale.
        var queuedSeq: UInt64 = 0
        /// Every worker that held a lease of this job in this coordinator's life (and the holder
        /// of its last lease before a restart): the only senders whose RESULT can count.
        var holders: Set<String> = []
        var lease: Lease? { if case .leased(let l) = state { l } else { nil } }
    }

    struct WorkerEntry: Sendable {
        /// Distinguishes this registration from earlier ones under the same id.
        var epoch: UInt64
        var slots: Int
        /// At most this many leases at once; `capacity <= slots`.
        var capacity: Int
        /// Kinds it runs; empty means all.
        var kinds: Set<JobKind>
        var leases: Set<String> = []
        var lastHeard: Double
        var lastSent: Double
        var inReady = false
        var available: Int { max(0, capacity - leases.count) }
        func runs(_ kind: JobKind) -> Bool { kinds.contains(kind) }
    }

    struct Queued: Sendable { var seq: UInt64; var jobID: String }
    struct ReadyEntry: Sendable { var worker: String; var epoch: UInt64 }

    /// Adds new ids as pending; returns how many were new.
    mutating func enqueue(_ pending: [PendingJob]) -> Int {
        var added = 0
        for p in pending where jobs[p.id] == nil {
            jobs[p.id] = JobEntry(kind: p.kind, state: .done)  // made pending just below
            counts.total += 1
            makePending(p.id)
            added += 1
        }
        return added
    }

    /// Puts a job that is not queued (new, just released from its lease, or resumed) at the
    /// back; a job a pause rule covers becomes `.paused` instead.
    mutating func makePending(_ jobID: String) {
        if paused.contains(jobID) {
            jobs[jobID]!.state = .paused
            counts.paused += 1
            return
        }
        let kind = jobs[jobID]!.kind
        jobs[jobID]!.state = .pending
        counts.pending += 1
        queueSeq += 1
        jobs[jobID]!.queuedSeq = queueSeq
        queues[kind, default: Fifo()].append(Queued(seq: queueSeq, jobID: jobID))
    }

    /// True when `entry` is the live queue entry of a pending job.
    func isLive(_ entry: Queued) -> Bool {
        guard let job = jobs[entry.jobID] else { return false }
        return job.state == .pending && job.queuedSeq == entry.seq
    }

    /// Ends the job's lease (the state is left for the caller to set) and gives the slot back.
    mutating func releaseLease(of jobID: String) {
        guard let lease = jobs[jobID]?.lease else { preconditionFailure("releaseLease on a job without a lease") }
        counts.running -= 1
        if workers[lease.worker]?.leases.remove(jobID) != nil { markReady(lease.worker) }
    }

    /// Requeues a leased job, or marks it failed if it lost too many leases.
    mutating func requeue(_ jobID: String, reason: RequeueReason, countsAsLoss: Bool, into actions: inout [Action]) {
        releaseLease(of: jobID)
        if countsAsLoss {
            jobs[jobID]!.losses += 1
            let losses = jobs[jobID]!.losses
            if losses >= configuration.maxLeaseLosses {
                jobs[jobID]!.state = .failed
                counts.failed += 1
                actions.append(.markFailed(jobID: jobID, error: "lost its lease \(losses) times (last: \(reason)); "
                    + "the job may be killing or stalling its workers"))
                return
            }
        }
        makePending(jobID)
        actions.append(.requeue(jobID: jobID, reason: reason))
    }

    /// Renews the deadline of the worker's leases (`only` nil: all of them).
    mutating func renewLeases(of worker: String, only listed: Set<String>?, now: Double) {
        guard let held = workers[worker]?.leases else { return }
        let deadline = now + configuration.effectiveLeaseTimeout
        for jobID in listed.map({ held.intersection($0) }) ?? held {
            if case .leased(var lease) = jobs[jobID]!.state {
                lease.deadline = max(lease.deadline, deadline)
                jobs[jobID]!.state = .leased(lease)
            }
        }
    }

    mutating func ack(_ worker: String, _ jobID: String, _ reason: AckReason, now: Double) -> Action {
        if workers[worker] != nil { workers[worker]!.lastSent = now }
        return .ack(worker: worker, jobID: jobID, reason: reason)
    }

    /// Puts the worker in the turn order if it has room and is not there yet.
    mutating func markReady(_ worker: String) {
        guard let w = workers[worker], !w.inReady, w.available > 0 else { return }
        workers[worker]!.inReady = true
        ready.append(ReadyEntry(worker: worker, epoch: w.epoch))
    }

    /// Hands pending jobs to workers with room, one per worker per turn.
    mutating func dispatch(now: Double, into actions: inout [Action]) {
        var skipped: [ReadyEntry] = []
        while counts.pending > 0, let entry = ready.popFirst() {
            guard let w = workers[entry.worker], w.epoch == entry.epoch else { continue }
            guard w.available > 0 else { workers[entry.worker]!.inReady = false; continue }
            guard let jobID = popPending(for: w) else { skipped.append(entry); continue }
            assign(jobID, to: entry.worker, now: now, into: &actions)
            if workers[entry.worker]!.available > 0 {
                ready.append(entry)
            } else {
                workers[entry.worker]!.inReady = false
            }
        }
        for entry in skipped { ready.append(entry) }
    }

    /// The oldest pending job of a kind the worker runs.
    mutating func popPending(for worker: WorkerEntry) -> String? {
        var best: (kind: JobKind, seq: UInt64)?
        for kind in JobKind.allCases where worker.runs(kind) {
            guard var q = queues[kind] else { continue }
            queues[kind] = nil  // keep the FIFO uniquely referenced while it is edited
            while let head = q.first, !isLive(head) { _ = q.popFirst() }
            if let head = q.first, head.seq < (best?.seq ?? .max) { best = (kind, head.seq) }
            queues[kind] = q
        }
        guard let kind = best?.kind else { return nil }
        return queues[kind]!.popFirst()!.jobID
    }

    mutating func assign(_ jobID: String, to worker: String, now: Double, into actions: inout [Action]) {
        leaseCounter += 1
        let lease = Lease(id: "\(configuration.sessionID)-\(leaseCounter)", worker: worker,
                          deadline: now + configuration.effectiveLeaseTimeout, started: now)
        jobs[jobID]!.state = .leased(lease)
        jobs[jobID]!.holders.insert(worker)
        counts.pending -= 1
        counts.running += 1
        workers[worker]!.leases.insert(jobID)
        workers[worker]!.lastSent = now
        actions.append(.assign(jobID: jobID, worker: worker, leaseID: lease.id, deadline: lease.deadline))
    }

    /// Cross-checks every redundant piece of state; returns the violations (empty when sound).
    /// O(jobs + workers): for tests and debug builds.
    func invariantViolations() -> [String] {
        var v: [String] = []
        var tally = Progress(total: 0, done: 0, pending: 0, running: 0, failed: 0, workersAlive: workers.count)
        for (id, job) in jobs {
            switch job.state {
            case .pending: tally.pending += 1
            case .paused: tally.paused += 1
            case .done: tally.done += 1
            case .failed: tally.failed += 1
            case .cancelled: tally.cancelled += 1
            case .leased(let lease):
                tally.running += 1
                if workers[lease.worker]?.leases.contains(id) != true { v.append("\(id) leased to \(lease.worker), who does not hold it") }
            }
        }
        tally.total = counts.total
        if tally != counts { v.append("counts \(counts) but tally \(tally)") }
        for (wid, w) in workers {
            for jobID in w.leases where jobs[jobID]?.lease?.worker != wid { v.append("\(wid) holds \(jobID) without its lease") }
        }
        var queued: [String: Int] = [:]
        for q in queues.values { for e in q.elements where isLive(e) { queued[e.jobID, default: 0] += 1 } }
        if queued.count != tally.pending || queued.values.contains(where: { $0 != 1 }) {
            v.append("pending jobs are not each queued exactly once")
        }
        return v
    }
}

/// A first-in first-out queue over an array with a moving head; amortized O(1).
struct Fifo<Element: Sendable>: Sendable {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }
    var first: Element? { isEmpty ? nil : items[head] }
    var elements: ArraySlice<Element> { items[head...] }

    mutating func append(_ e: Element) { items.append(e) }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let e = items[head]
        head += 1
        if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }
}
