import Shared

// Steering: pause rules, cancellation and the per-job time limit (docs/SWEEPS.md, "Steering a
// running sweep"; PROTOCOL.md 8.7). The rules are in Scheduler.swift's header.

extension Scheduler {
    /// The jobs pause rules cover now (the whole set, as read from the store's steering table).
    /// Covered pending jobs stop being handed out; jobs no longer covered are queued again (at
    /// the back). Running jobs run on; if one comes back to pending while covered, it waits.
    public mutating func setPaused(_ ids: Set<String>, now: Double) -> [Action] {
        let resumed = paused.subtracting(ids)
        paused = ids
        for id in ids where jobs[id]?.state == .pending {
            jobs[id]!.state = .paused   // its queue entry goes stale
            counts.pending -= 1
            counts.paused += 1
        }
        for id in resumed.sorted() where jobs[id]?.state == .paused {
            counts.paused -= 1
            makePending(id)
        }
        var actions: [Action] = []
        dispatch(now: now, into: &actions)
        return actions
    }

    /// Cancels jobs: pending or paused ones are never run; running ones are stopped on their
    /// worker (CANCEL) and their slot is not offered again until the worker says it is free.
    /// Jobs already done, failed or cancelled, and unknown ids, are left alone.
    public mutating func cancel(_ ids: some Sequence<String>, now: Double) -> [Action] {
        var actions: [Action] = []
        for id in Set(ids).sorted() {
            guard let job = jobs[id] else { continue }
            switch job.state {
            case .pending: counts.pending -= 1
            case .paused: counts.paused -= 1
            case .leased(let lease):
                stopOnWorker(id, lease: lease, reason: "cancelled", into: &actions)
            case .done, .failed, .cancelled: continue
            }
            jobs[id]!.state = .cancelled
            counts.cancelled += 1
            actions.append(.markCancelled(jobID: id))
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// A run past the job time limit: stopped on its worker, then retried or failed.
    mutating func timeOut(_ jobID: String, limit: Double, into actions: inout [Action]) {
        guard let lease = jobs[jobID]?.lease else { return }
        let seconds = limit.rounded() == limit ? String(Int(limit)) : String(limit)
        stopOnWorker(jobID, lease: lease, reason: "timed out after \(seconds) s", into: &actions)
        jobs[jobID]!.timeouts += 1
        let n = jobs[jobID]!.timeouts
        if n > configuration.timeoutRetries {
            jobs[jobID]!.state = .failed
            counts.failed += 1
            let tries = n == 1 ? "" : " (\(n) runs, every one timed out)"
            actions.append(.markFailed(jobID: jobID, error: "timed out after \(seconds) s\(tries)"))
        } else {
            makePending(jobID)
            actions.append(.requeue(jobID: jobID, reason: .timedOut(seconds: limit, attempt: n)))
        }
    }

    /// Releases a running job's lease and tells its worker to stop it. The worker's capacity
    /// drops by the stopped slot until its next READY or heartbeat says the slot is free.
    mutating func stopOnWorker(_ jobID: String, lease: Lease, reason: String, into actions: inout [Action]) {
        if var w = workers[lease.worker] {
            w.capacity = max(0, w.capacity - 1)
            workers[lease.worker] = w
        }
        releaseLease(of: jobID)
        actions.append(.stopOnWorker(jobID: jobID, worker: lease.worker, reason: reason))
    }
}
