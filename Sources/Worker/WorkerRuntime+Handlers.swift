import Foundation
import Shared

/// What the runtime does with each coordinator message and each finished job.
extension WorkerRuntime {
    /// Reads every waiting message. Any message, even a malformed one, is a sign of life.
    func receiveAll(_ s: ZMQSocket) throws {
        while socket === s, let frames = try s.receive(dontWait: true) {
            lastHeard = now()
            do {
                try handle(try Message.decode(frames))
            } catch let e as ProtocolError {
                // A coordinator of another protocol version refusing this worker (PROTOCOL.md 4.5).
                if case .unsupportedVersion = e, let refusal = WorkerError.versionRefusal(frames, build: config.buildVersion) {
                    throw refusal
                }
                // The worker never answers with ERROR (that is the coordinator's command): log and drop.
                log("dropped a bad message from the coordinator: \(e)")
            }
            if exit != nil { return }
        }
    }

    func handle(_ message: Message) throws {
        switch message {
        case .welcome(let w):
            guard w.nonce == nonce, sessionID == nil else {
                log("ignored a stale WELCOME (nonce \(w.nonce))")
                return
            }
            onWelcome(w)
        case .assign(let a):
            guard sessionID != nil else { log("ignored ASSIGN \(a.jobID) before WELCOME"); return }
            onAssign(a)
        case .ack(let a):
            if unacked.removeValue(forKey: a.jobID) != nil {
                unackedOrder.removeAll { $0 == a.jobID }
            } else {
                dropUnwanted(a.jobID)
            }
        case .heartbeat(let h):
            if let theirs = h.sessionID, let ours = sessionID, theirs != ours {
                log("coordinator session changed (\(ours) -> \(theirs)): it restarted; saying HELLO again")
                resetSession(backoff: false)
            }
        case .disconnect(let d):
            log("coordinator released this worker: \(d.reason)")
            exit = .released(d.reason)
        case .error(let e):
            if e.code == ProtocolError.Code.helloRequired.rawValue, sessionID == nil, helloSent {
                // Our HELLO is on its way: this answers a message of the previous connection,
                // whose routing id the new one took over (PROTOCOL.md 9.3.2). Its WELCOME will come.
                log("ignored hello-required before WELCOME (an answer to the previous connection)")
                return
            }
            log("coordinator reported an error: \(e.code): \(e.message)")
            if e.code == ProtocolError.Code.helloRequired.rawValue {
                resetSession(backoff: false)
            } else if e.code == ProtocolError.Code.duplicateWorkerID.rawValue {
                throw WorkerError.duplicateID(e.message)
            } else if e.code == ProtocolError.Code.unsupportedVersion.rawValue
                        || e.code == ProtocolError.Code.badSignature.rawValue {
                throw WorkerError.incompatible(e.message)
            }
        case .hello, .ready, .result, .failure:
            log("ignored unexpected \(message.command) from the coordinator")
        }
    }

    private func onWelcome(_ w: Message.Welcome) {
        sessionID = w.sessionID
        heartbeatMs = w.heartbeatMs
        liveness = w.liveness
        backoffMs = config.reconnectMinMs
        log("welcomed by coordinator session \(w.sessionID) (heartbeat \(w.heartbeatMs) ms, liveness \(w.liveness))")
        // Tell the new session how many slots are free, then re-deliver what it may have missed.
        if freeSlots > 0 { send(.ready(.init(credit: freeSlots))) }
        for id in unackedOrder { if let u = unacked[id] { sendResult(u.result) } }
        let failures = unsentFailures
        unsentFailures = []
        for f in failures { sendFailure(f) }
        nextHeartbeat = now() + Double(heartbeatMs) / 1000
    }

    private func onAssign(_ a: Message.Assign) {
        if running[a.jobID] != nil || backlog.contains(where: { $0.jobID == a.jobID }) {
            log("ignored duplicate ASSIGN of \(a.jobID), already held")
            return
        }
        if let u = unacked[a.jobID] {
            log("ASSIGN of \(a.jobID), already finished: resending its result")
            sendResult(u.result)
            return
        }
        guard config.capabilities.contains(a.spec.kind.rawValue) else {
            sendFailure(.init(jobID: a.jobID, leaseID: a.leaseID, error: "job kind \(a.spec.kind.rawValue) is not supported by this worker", retryable: true))
            if freeSlots > 0 { send(.ready(.init(credit: freeSlots))) }
            return
        }
        if running.count < config.slots {
            startJob(a)
        } else {
            // More assignments than slots (credit raced): keep it, run it when a slot frees.
            backlog.append(a)
        }
    }

    /// An ACK for a job held but not finished: the coordinator does not want it (its result is
    /// stored, it failed for good, or it is not in the sweep; PROTOCOL.md 8.4). A queued job is
    /// dropped; a running one cannot be stopped, so its result is discarded when it ends.
    private func dropUnwanted(_ jobID: String) {
        if let i = backlog.firstIndex(where: { $0.jobID == jobID }) {
            backlog.remove(at: i)
            log("dropped queued job \(jobID.prefix(8)): the coordinator does not want it")
            if sessionID != nil, freeSlots > 0 { send(.ready(.init(credit: freeSlots))) }
        } else if running[jobID] != nil, unwanted.insert(jobID).inserted {
            log("job \(jobID.prefix(8)) is not wanted by the coordinator; its result will be discarded")
        }
    }

    private func startJob(_ a: Message.Assign) {
        running[a.jobID] = a
        log("start \(a.jobID.prefix(8)) (\(a.spec.summary)), lease \(a.leaseID)")
        runner.start(a)
    }

    /// Records a finished job, reports it, and refills or offers its slot.
    func finish(_ job: FinishedJob) {
        let a = job.assign
        guard running.removeValue(forKey: a.jobID) != nil else { return }
        if unwanted.remove(a.jobID) != nil {
            log("discarded \(a.jobID.prefix(8)): not wanted by the coordinator")
        } else {
            report(job)
        }
        if !backlog.isEmpty {
            startJob(backlog.removeFirst())
        } else if sessionID != nil, freeSlots > 0 {
            // The current count, not an increment (PROTOCOL.md 7.2).
            send(.ready(.init(credit: freeSlots)))
        }
    }

    /// Sends a finished job's RESULT (kept until ACKed) or FAILURE.
    private func report(_ job: FinishedJob) {
        let a = job.assign
        switch job.outcome {
        case .success(let outcome):
            let prov = Provenance(host: config.host, workerID: config.workerID, buildVersion: config.buildVersion, wallSeconds: job.wallSeconds)
            let result = Message.JobResult(jobID: a.jobID, leaseID: a.leaseID, outcome: outcome, provenance: prov)
            unacked[a.jobID] = (result, nil)
            unackedOrder.append(a.jobID)
            log("done \(a.jobID.prefix(8)) in \(String(format: "%.3f", job.wallSeconds)) s (\(outcome.status.rawValue))")
            sendResult(result)
        case .failure(let f):
            log("failed \(a.jobID.prefix(8)): \(f.message)")
            sendFailure(.init(jobID: a.jobID, leaseID: a.leaseID, error: f.message, retryable: f.retryable))
        }
    }

    func sendResult(_ r: Message.JobResult) {
        guard sessionID != nil else { return }
        if send(.result(r)) { unacked[r.jobID]?.sentAt = now() }
    }

    private func sendFailure(_ f: Message.Failure) {
        if sessionID == nil || !send(.failure(f)) { unsentFailures.append(f) }
    }
}
