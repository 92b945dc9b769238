import Foundation
import Shared

/// The worker's side of the protocol (PROTOCOL.md) as a value: events in, actions out, time
/// passed in. It owns the session state, the timers (heartbeat, liveness, reconnect backoff,
/// idle exit), the job bookkeeping (running, backlog, unwanted) and result retention; it does
/// no I/O and reads no clock, so it is tested with a fake clock (`WorkerSessionTests`).
/// `WorkerRuntime` is the I/O shell that executes its actions on a DEALER socket and job threads.
///
/// Session lifecycle: `.connect`, then HELLO once the connection is writable
/// (`connectionWritable`), WELCOME (echoing HELLO's nonce), READY(free slots), resend of unacked
/// results. The coordinator is presumed dead after `heartbeatMs * liveness` of silence (before or
/// after WELCOME): `.reconnect(after:)` closes the connection and `tick` says `.connect` again
/// after a jittered, doubling backoff. A HEARTBEAT with another session id or an ERROR
/// "hello-required" means the coordinator restarted: reconnect at once.
struct WorkerSession {
    enum Action: Equatable {
        /// Open a new connection; call `connectionWritable` when it can take HELLO.
        case connect
        /// Send without blocking; report a message that could not be queued with `sendFailed`.
        case send(Message)
        /// Run the job on a thread; report its end with `jobFinished`.
        case startJob(Message.Assign)
        /// Ask a running job to stop (cooperative: it ends at its next check); its end still
        /// comes through `jobFinished`, and is not reported.
        case cancelJob(String)
        /// Close the connection now; `tick` says `.connect` once `seconds` have passed.
        case reconnect(after: Double)
        /// Close the connection, letting queued messages leave for `lingerMs` (shutdown).
        case close(lingerMs: Int)
        /// The runtime is over (after this, nothing more is asked).
        case exit(WorkerExit)
        /// The runtime is over with an error (non-zero exit).
        case fail(WorkerError)
        case log(String)
    }

    enum Link: Equatable {
        /// No connection; the next one opens at `reconnectAt`.
        case down(reconnectAt: Double)
        /// Connected, HELLO sent (or not yet), no WELCOME.
        case connecting(nonce: String, helloSent: Bool)
        /// WELCOMEd by coordinator session `sessionID`.
        case up(nonce: String, sessionID: String)
    }

    let config: WorkerConfiguration
    private(set) var link: Link
    private var rng: Xoshiro256
    private(set) var lastHeard = 0.0
    private var nextHeartbeat = 0.0
    private var backoffMs: Int
    private(set) var heartbeatMs: Int
    private(set) var liveness: Int
    private var sessions = 0
    /// Jobs accepted and not finished: running ones, then the backlog in arrival order.
    private(set) var running: [String: Message.Assign] = [:]
    private(set) var backlog: [Message.Assign] = []
    /// Finished results kept until ACKed, with when each was last sent.
    private var unacked: [String: (result: Message.JobResult, sentAt: Double?)] = [:]
    private(set) var unackedOrder: [String] = []
    /// Running jobs the coordinator said it does not want (ACK before a result, or CANCEL):
    /// their results are discarded.
    private(set) var unwanted: Set<String> = []
    /// FAILUREs not yet sent (no session when the job failed).
    private(set) var unsentFailures: [Message.Failure] = []
    /// Last time the worker had a coordinator session or held a job (for `idleExitSeconds`).
    private var lastEngaged: Double
    /// Set once `.exit` or `.fail` was returned.
    private(set) var isOver = false

    init(config: WorkerConfiguration, now: Double) {
        precondition(config.slots >= 1)
        self.config = config
        rng = Xoshiro256(seed: config.seed)
        backoffMs = config.reconnectMinMs
        heartbeatMs = config.heartbeatMs
        liveness = config.liveness
        lastEngaged = now
        link = .down(reconnectAt: now)
    }

    var sessionID: String? { if case .up(_, let s) = link { s } else { nil } }
    var isConnected: Bool { if case .down = link { false } else { true } }
    /// True while HELLO waits for the connection to become writable.
    var wantsWritable: Bool { link == .connecting(nonce: nonce, helloSent: false) }
    var freeSlots: Int { max(0, config.slots - running.count - backlog.count) }
    var unackedCount: Int { unacked.count }
    private var nonce: String {
        switch link { case .down: ""; case .connecting(let n, _), .up(let n, _): n }
    }
    private var held: [String] { Array(running.keys).sorted() + backlog.map(\.jobID) }
    private var silenceLimit: Double { Double(heartbeatMs * liveness) / 1000 }

    // MARK: - Events

    /// Time passed: connect when due, declare a silent coordinator dead, heartbeat, resend
    /// results not ACKed within the liveness window, exit when idle too long.
    mutating func tick(now t: Double) -> [Action] {
        guard !isOver else { return [] }
        var out: [Action] = []
        if case .down(let at) = link, t >= at { connect(now: t, into: &out) }
        onTimers(now: t, into: &out)
        checkIdle(now: t, into: &out)
        return out
    }

    /// When `tick` next has something to do (for the shell's poll timeout).
    func nextDeadline(now t: Double) -> Double {
        var deadline: Double
        switch link {
        case .down(let at): deadline = at
        case .connecting: deadline = lastHeard + silenceLimit
        case .up: deadline = min(lastHeard + silenceLimit, nextHeartbeat)
        }
        if let limit = config.idleExitSeconds { deadline = min(deadline, max(t, lastEngaged + limit)) }
        return deadline
    }

    /// The connection can take HELLO.
    mutating func connectionWritable(now t: Double) -> [Action] {
        guard case .connecting(let n, false) = link else { return [] }
        link = .connecting(nonce: n, helloSent: true)
        let hello = Message.Hello(workerID: config.workerID, host: config.host, pid: config.pid, slots: config.slots,
                                  buildVersion: config.buildVersion, capabilities: config.capabilities, nonce: n, running: held)
        return [.send(.hello(hello))]
    }

    /// A `.send` could not be queued (no connection, or the high-water mark).
    mutating func sendFailed(_ message: Message, now t: Double) -> [Action] {
        var out: [Action] = []
        switch message {
        case .hello:
            // Writable yet refused: do not spin on it; try a fresh connection later.
            if case .connecting = link { reset(backoff: true, now: t, into: &out) }
        case .result(let r):
            unacked[r.jobID]?.sentAt = nil
        case .failure(let f):
            unsentFailures.append(f)
        default:
            break
        }
        return out
    }

    /// A message that did not decode: a sign of life all the same, logged and dropped (the
    /// worker never answers with ERROR, that is the coordinator's command).
    mutating func receivedMalformed(_ error: ProtocolError, now t: Double) -> [Action] {
        lastHeard = t
        return [.log("dropped a bad message from the coordinator: \(error)")]
    }

    /// A message from the coordinator. Any message is a sign of life.
    mutating func received(_ message: Message, now t: Double) -> [Action] {
        guard !isOver, isConnected else { return [] }
        lastHeard = t
        var out: [Action] = []
        switch message {
        case .welcome(let w):
            guard case .connecting(let n, _) = link, w.nonce == n else {
                return [.log("ignored a stale WELCOME (nonce \(w.nonce))")]
            }
            onWelcome(w, nonce: n, now: t, into: &out)
        case .assign(let a):
            guard sessionID != nil else { return [.log("ignored ASSIGN \(a.jobID) before WELCOME")] }
            onAssign(a, now: t, into: &out)
        case .ack(let a):
            if unacked.removeValue(forKey: a.jobID) != nil {
                unackedOrder.removeAll { $0 == a.jobID }
            } else {
                dropUnwanted(a.jobID, why: "the coordinator does not want it", into: &out)
            }
        case .cancel(let c):
            guard sessionID != nil else { return [.log("ignored CANCEL before WELCOME")] }
            for id in c.jobs { cancel(id, reason: c.reason, into: &out) }
        case .heartbeat(let h):
            if let theirs = h.sessionID, let ours = sessionID, theirs != ours {
                out.append(.log("coordinator session changed (\(ours) -> \(theirs)): it restarted; saying HELLO again"))
                reset(backoff: false, now: t, into: &out)
            }
        case .disconnect(let d):
            out.append(.log("coordinator released this worker: \(d.reason)"))
            finish(.exit(.released(d.reason)), into: &out)
        case .error(let e):
            onError(e, now: t, into: &out)
        case .hello, .ready, .result, .failure:
            out.append(.log("ignored unexpected \(message.command) from the coordinator"))
        }
        return out
    }

    /// A job thread ended: report it (RESULT kept until ACKed, or FAILURE), unless it was
    /// unwanted, and refill or offer its slot.
    mutating func jobFinished(_ job: FinishedJob, now t: Double) -> [Action] {
        let a = job.assign
        guard running.removeValue(forKey: a.jobID) != nil else { return [] }
        var out: [Action] = []
        if unwanted.remove(a.jobID) != nil {
            out.append(.log("discarded \(a.jobID.prefix(8)): not wanted by the coordinator"))
        } else {
            report(job, now: t, into: &out)
        }
        // The first queued job not still running (a job assigned again while its stopped run
        // ended waits for that run to end).
        if let i = backlog.firstIndex(where: { running[$0.jobID] == nil }) {
            startJob(backlog.remove(at: i), into: &out)
        } else if sessionID != nil, freeSlots > 0 {
            // The current count, not an increment (PROTOCOL.md 7.2).
            out.append(.send(.ready(.init(credit: freeSlots))))
        }
        return out
    }

    /// SIGTERM/SIGINT: hand back unfinished jobs with DISCONNECT, close with a linger so it
    /// leaves, and exit.
    mutating func stop(_ reason: String, now t: Double) -> [Action] {
        guard !isOver else { return [] }
        var out: [Action] = []
        if sessionID != nil {
            out.append(.send(.disconnect(.init(reason: reason, jobs: held))))
            out.append(.log("stopping (\(reason)): handed back \(held.count) job(s), \(unacked.count) result(s) unacknowledged"))
        } else {
            out.append(.log("stopping (\(reason)) without a session: \(held.count) job(s) will expire at the coordinator"))
        }
        out.append(.close(lingerMs: config.lingerMs))
        link = .down(reconnectAt: .infinity)
        finish(.exit(.stopped(reason)), into: &out)
        return out
    }

    // MARK: - Rules

    private mutating func connect(now t: Double, into out: inout [Action]) {
        sessions += 1
        link = .connecting(nonce: "\(sessions)-\(String(rng.next(), radix: 16))", helloSent: false)
        lastHeard = t
        heartbeatMs = config.heartbeatMs
        liveness = config.liveness
        out.append(.connect)
    }

    private mutating func onTimers(now t: Double, into out: inout [Action]) {
        guard isConnected else { return }
        if t - lastHeard >= silenceLimit {
            out.append(.log(sessionID == nil ? "no WELCOME from \(config.endpoint) within \(heartbeatMs * liveness) ms"
                                             : "coordinator silent for \(heartbeatMs * liveness) ms; reconnecting"))
            reset(backoff: true, now: t, into: &out)
            return
        }
        guard sessionID != nil, t >= nextHeartbeat else { return }
        out.append(.send(.heartbeat(.init(running: held, free: freeSlots))))
        nextHeartbeat = t + Double(heartbeatMs) / 1000
        // A result not ACKed within the liveness window was probably lost in a connection
        // blip (or never left): send it again (results are idempotent by job id).
        for id in unackedOrder {
            if let u = unacked[id], u.sentAt.map({ t - $0 >= silenceLimit }) ?? true { sendResult(u.result, now: t, into: &out) }
        }
    }

    /// Without a session and without a job, the worker is idle; after `idleExitSeconds` of
    /// that it exits (unacknowledged results are dropped: their jobs run again elsewhere).
    private mutating func checkIdle(now t: Double, into out: inout [Action]) {
        if sessionID != nil || !running.isEmpty || !backlog.isEmpty { lastEngaged = t; return }
        guard let limit = config.idleExitSeconds, t - lastEngaged >= limit else { return }
        let reason = "no coordinator and no job for \(Int(limit)) s (--exit-when-idle)"
        out.append(.log("exiting: \(reason); \(unacked.count) unacknowledged result(s) dropped"))
        finish(.exit(.idle(reason)), into: &out)
    }

    /// Drops the connection; reconnects after a jittered, doubling backoff, or at once.
    private mutating func reset(backoff: Bool, now t: Double, into out: inout [Action]) {
        var delay = 0.0
        if backoff {
            let jitter = 0.75 + 0.5 * rng.uniform()
            let delayMs = Int(Double(backoffMs) * jitter)
            delay = Double(delayMs) / 1000
            out.append(.log("reconnecting in \(delayMs) ms"))
            backoffMs = min(config.reconnectMaxMs, backoffMs * 2)
        }
        link = .down(reconnectAt: t + delay)
        out.append(.reconnect(after: delay))
    }

    private mutating func finish(_ end: Action, into out: inout [Action]) {
        isOver = true
        out.append(end)
    }

    private mutating func onWelcome(_ w: Message.Welcome, nonce n: String, now t: Double, into out: inout [Action]) {
        link = .up(nonce: n, sessionID: w.sessionID)
        heartbeatMs = w.heartbeatMs
        liveness = w.liveness
        backoffMs = config.reconnectMinMs
        out.append(.log("welcomed by coordinator session \(w.sessionID) (heartbeat \(w.heartbeatMs) ms, liveness \(w.liveness))"))
        // Tell the new session how many slots are free, then re-deliver what it may have missed.
        if freeSlots > 0 { out.append(.send(.ready(.init(credit: freeSlots)))) }
        for id in unackedOrder { if let u = unacked[id] { sendResult(u.result, now: t, into: &out) } }
        let failures = unsentFailures
        unsentFailures = []
        for f in failures { sendFailure(f, into: &out) }
        nextHeartbeat = t + Double(heartbeatMs) / 1000
    }

    private mutating func onError(_ e: Message.ErrorReport, now t: Double, into out: inout [Action]) {
        let helloRequired = e.code == ProtocolError.Code.helloRequired.rawValue
        if helloRequired, case .connecting(_, true) = link {
            // Our HELLO is on its way: this answers a message of the previous connection,
            // whose routing id the new one took over (PROTOCOL.md 9.3.2). Its WELCOME will come.
            out.append(.log("ignored hello-required before WELCOME (an answer to the previous connection)"))
            return
        }
        out.append(.log("coordinator reported an error: \(e.code): \(e.message)"))
        if helloRequired {
            reset(backoff: false, now: t, into: &out)
        } else if e.code == ProtocolError.Code.duplicateWorkerID.rawValue {
            finish(.fail(.duplicateID(e.message)), into: &out)
        } else if e.code == ProtocolError.Code.unsupportedVersion.rawValue || e.code == ProtocolError.Code.badSignature.rawValue {
            finish(.fail(.incompatible(e.message)), into: &out)
        }
    }

    private mutating func onAssign(_ a: Message.Assign, now t: Double, into out: inout [Action]) {
        if running[a.jobID] != nil, unwanted.contains(a.jobID), !backlog.contains(where: { $0.jobID == a.jobID }) {
            // Assigned again (a retry after a time limit) while its stopped run is still ending:
            // run it once that run is gone.
            out.append(.log("ASSIGN of \(a.jobID.prefix(8)) while its cancelled run ends: queued"))
            backlog.append(a)
            return
        }
        if running[a.jobID] != nil || backlog.contains(where: { $0.jobID == a.jobID }) {
            out.append(.log("ignored duplicate ASSIGN of \(a.jobID), already held"))
            return
        }
        if let u = unacked[a.jobID] {
            out.append(.log("ASSIGN of \(a.jobID), already finished: resending its result"))
            sendResult(u.result, now: t, into: &out)
            return
        }
        guard config.capabilities.contains(a.spec.kind.rawValue) else {
            sendFailure(.init(jobID: a.jobID, leaseID: a.leaseID, error: "job kind \(a.spec.kind.rawValue) is not supported by this worker",
                              retryable: true), into: &out)
            if freeSlots > 0 { out.append(.send(.ready(.init(credit: freeSlots)))) }
            return
        }
        if running.count < config.slots {
            startJob(a, into: &out)
        } else {
            // More assignments than slots (credit raced): keep it, run it when a slot frees.
            backlog.append(a)
        }
    }

    /// A job held but not finished that the coordinator does not want (an ACK before its result:
    /// stored, failed for good, or not in the sweep; PROTOCOL.md 8.4). A queued job is dropped; a
    /// running one keeps running and its result is discarded when it ends.
    private mutating func dropUnwanted(_ jobID: String, why: String, into out: inout [Action]) {
        if let i = backlog.firstIndex(where: { $0.jobID == jobID }) {
            backlog.remove(at: i)
            out.append(.log("dropped queued job \(jobID.prefix(8)): \(why)"))
            if sessionID != nil, freeSlots > 0 { out.append(.send(.ready(.init(credit: freeSlots)))) }
        } else if running[jobID] != nil, unwanted.insert(jobID).inserted {
            out.append(.log("job \(jobID.prefix(8)) is not wanted by the coordinator; its result will be discarded"))
        }
    }

    /// CANCEL: a queued job is dropped, a running one is asked to stop and its end is not
    /// reported (PROTOCOL.md 8.7). A job not held (already finished, or never seen) is ignored.
    private mutating func cancel(_ jobID: String, reason: String, into out: inout [Action]) {
        if backlog.contains(where: { $0.jobID == jobID }) {
            dropUnwanted(jobID, why: "cancelled (\(reason))", into: &out)
        } else if running[jobID] != nil {
            if unwanted.insert(jobID).inserted {
                out.append(.log("cancelling \(jobID.prefix(8)) (\(reason))"))
                out.append(.cancelJob(jobID))
            }
        } else if unacked.removeValue(forKey: jobID) != nil {
            // Finished but not yet ACKed: the coordinator no longer wants the result.
            unackedOrder.removeAll { $0 == jobID }
        }
    }

    private mutating func startJob(_ a: Message.Assign, into out: inout [Action]) {
        running[a.jobID] = a
        out.append(.log("start \(a.jobID.prefix(8)) (\(a.spec.summary)), lease \(a.leaseID)"))
        out.append(.startJob(a))
    }

    private mutating func report(_ job: FinishedJob, now t: Double, into out: inout [Action]) {
        let a = job.assign
        switch job.outcome {
        case .success(let outcome):
            let prov = Provenance(host: config.host, workerID: config.workerID, buildVersion: config.buildVersion, wallSeconds: job.wallSeconds)
            let result = Message.JobResult(jobID: a.jobID, leaseID: a.leaseID, outcome: outcome, provenance: prov)
            unacked[a.jobID] = (result, nil)
            unackedOrder.append(a.jobID)
            out.append(.log("done \(a.jobID.prefix(8)) in \(String(format: "%.3f", job.wallSeconds)) s (\(outcome.status.rawValue))"))
            sendResult(result, now: t, into: &out)
        case .failure(let f):
            out.append(.log("failed \(a.jobID.prefix(8)): \(f.message)"))
            sendFailure(.init(jobID: a.jobID, leaseID: a.leaseID, error: f.message, retryable: f.retryable), into: &out)
        }
    }

    private mutating func sendResult(_ r: Message.JobResult, now t: Double, into out: inout [Action]) {
        guard sessionID != nil else { return }
        unacked[r.jobID]?.sentAt = t
        out.append(.send(.result(r)))
    }

    private mutating func sendFailure(_ f: Message.Failure, into out: inout [Action]) {
        if sessionID == nil { unsentFailures.append(f) } else { out.append(.send(.failure(f))) }
    }
}
