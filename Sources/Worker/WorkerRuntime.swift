import Foundation
import Shared

/// The worker's runtime loop: one DEALER session at a time to the coordinator
/// (PROTOCOL.md), jobs on their own threads via `JobRunner`.
///
/// Threads: `run()` is the loop and the only code that touches the socket; job threads
/// hand results back through `JobRunner`'s queue and wake the loop; `requestStop` may be
/// called from any thread (e.g. a signal source).
///
/// Session lifecycle: connect, HELLO, wait for WELCOME (echoing HELLO's nonce), then
/// READY(free slots), resend unacked results. The coordinator is presumed dead after
/// `heartbeatMs * liveness` of silence (before or after WELCOME): the socket is closed
/// and a new one connects after a backoff. A HEARTBEAT with another session id or an
/// ERROR "hello-required" means the coordinator restarted: reconnect at once.
final class WorkerRuntime: @unchecked Sendable {
    let config: WorkerConfiguration
    let context: ZMQContext
    let runner: JobRunner
    let now: @Sendable () -> Double
    let log: @Sendable (String) -> Void

    private let stopLock = NSLock()
    private var stopReason: String?

    // Loop-thread state.
    var rng: Xoshiro256
    var socket: ZMQSocket?
    /// Failed security handshakes of `socket`: the worker says it was refused, and why.
    var handshakes: HandshakeMonitor?
    var nonce = ""
    var sessionID: String?
    var helloSent = false
    var lastHeard = 0.0
    var nextHeartbeat = 0.0
    var reconnectAt = 0.0
    var backoffMs: Int
    var heartbeatMs: Int
    var liveness: Int
    var sessions = 0
    /// Jobs accepted and not finished: running ones, then the backlog in arrival order.
    var running: [String: Message.Assign] = [:]
    var backlog: [Message.Assign] = []
    /// Finished results kept until ACKed, with when each was last sent.
    var unacked: [String: (result: Message.JobResult, sentAt: Double?)] = [:]
    var unackedOrder: [String] = []
    /// Running jobs the coordinator said it does not want (ACK before a result): their
    /// results are discarded.
    var unwanted: Set<String> = []
    /// FAILUREs not yet sent (no session when the job failed).
    var unsentFailures: [Message.Failure] = []
    var exit: WorkerExit?
    /// Last time the worker had a coordinator session or held a job (for `idleExitSeconds`).
    var lastEngaged = 0.0

    init(config: WorkerConfiguration, context: ZMQContext, execute: @escaping JobExecute = { spec, progress in try JobExecutor.run(spec, progress: progress) },
         now: @escaping @Sendable () -> Double = { MonotonicTime.seconds() }, log: @escaping @Sendable (String) -> Void) throws {
        precondition(config.slots >= 1)
        self.config = config
        self.context = context
        self.now = now
        self.log = log
        self.runner = try JobRunner(execute: execute, now: now, log: log)
        self.rng = Xoshiro256(seed: config.seed)
        self.backoffMs = config.reconnectMinMs
        self.heartbeatMs = config.heartbeatMs
        self.liveness = config.liveness
    }

    /// Asks the loop to hand back its jobs and return. Thread-safe; idempotent.
    func requestStop(_ reason: String) {
        stopLock.lock()
        if stopReason == nil { stopReason = reason }
        stopLock.unlock()
        runner.wake.wake()
    }

    private var pendingStop: String? {
        stopLock.lock(); defer { stopLock.unlock() }
        return stopReason
    }

    var freeSlots: Int { max(0, config.slots - running.count - backlog.count) }

    /// Runs until stopped or released. Throws `WorkerError` or `ZMQError` on fatal problems.
    func run() throws -> WorkerExit {
        log("worker \(config.workerID) on \(config.host): \(config.slots) slots, coordinator \(config.endpoint)")
        defer { closeSession(linger: 0) }
        lastEngaged = now()
        while true {
            if let reason = pendingStop {
                shutdown(reason)
                return .stopped(reason)
            }
            if let e = exit { return e }
            let t = now()
            if socket == nil, t >= reconnectAt { try openSession() }
            var items: [ZMQPollItem] = [.fileDescriptor(runner.wake.fileDescriptor, .readable)]
            if let s = socket { items.append(.socket(s, helloSent ? .readable : [.readable, .writable])) }
            if let m = handshakes { items.append(.socket(m.socket, .readable)) }
            let ready = try zmqPoll(items, timeoutMs: pollTimeout(at: t))
            if handshakes != nil, ready.count > 2, ready[2].contains(.readable) { logRefusals() }
            if ready[0].contains(.readable) { for job in runner.takeFinished() { finish(job) } }
            if let s = socket, ready.count > 1 {
                if !helloSent, ready[1].contains(.writable) {
                    sendHello()
                    // Writable yet refused: do not spin on it; try a fresh socket later.
                    if !helloSent { resetSession(backoff: true); continue }
                }
                if ready[1].contains(.readable) { try receiveAll(s) }
            }
            try onTimers(at: now())
            checkIdle(at: now())
        }
    }

    /// Without a session and without a job, the worker is idle; after `idleExitSeconds` of
    /// that it exits (unacknowledged results are dropped: their jobs run again elsewhere).
    private func checkIdle(at t: Double) {
        if sessionID != nil || !running.isEmpty || !backlog.isEmpty { lastEngaged = t; return }
        guard let limit = config.idleExitSeconds, t - lastEngaged >= limit else { return }
        let reason = "no coordinator and no job for \(Int(limit)) s (--exit-when-idle)"
        log("exiting: \(reason); \(unacked.count) unacknowledged result(s) dropped")
        exit = .idle(reason)
    }

    /// Milliseconds until the next timer: heartbeat, liveness deadline or reconnect.
    private func pollTimeout(at t: Double) -> Int {
        var deadline: Double
        if socket == nil {
            deadline = reconnectAt
        } else {
            deadline = lastHeard + Double(heartbeatMs * liveness) / 1000
            if sessionID != nil { deadline = min(deadline, nextHeartbeat) }
        }
        if let limit = config.idleExitSeconds { deadline = min(deadline, max(t, lastEngaged + limit)) }
        return max(0, min(60_000, Int(((deadline - t) * 1000).rounded(.up))))
    }

    private func onTimers(at t: Double) throws {
        guard socket != nil else { return }
        if t - lastHeard >= Double(heartbeatMs * liveness) / 1000 {
            log(sessionID == nil ? "no WELCOME from \(config.endpoint) within \(heartbeatMs * liveness) ms"
                                 : "coordinator silent for \(heartbeatMs * liveness) ms; reconnecting")
            resetSession(backoff: true)
            return
        }
        guard sessionID != nil, t >= nextHeartbeat else { return }
        let held = Array(running.keys).sorted() + backlog.map(\.jobID)
        send(.heartbeat(.init(running: held, free: freeSlots)))
        nextHeartbeat = t + Double(heartbeatMs) / 1000
        // A result not ACKed within the liveness window was probably lost in a connection
        // blip (or never left): send it again (results are idempotent by job id).
        let stale = Double(heartbeatMs * liveness) / 1000
        for id in unackedOrder {
            if let u = unacked[id], u.sentAt.map({ t - $0 >= stale }) ?? true { sendResult(u.result) }
        }
    }

    // MARK: - Sessions

    /// A new DEALER, connected; HELLO goes out as soon as the connection is writable.
    private func openSession() throws {
        let s = try context.socket(.dealer)
        var options: [ZMQSocketOption] = [
            .linger(milliseconds: 0), .routingID(Data(config.workerID.utf8)),
            // Queue nothing for a coordinator that is not connected: results stay in
            // `unacked` and are resent after the next WELCOME instead of going stale.
            .immediate(true), .maxMessageSize(bytes: Int64(Message.maxBytes)),
        ]
        if config.ipv6 { options.append(.ipv6(true)) }
        if let c = config.curve {
            options.append(.curveClient(serverKey: c.serverKey, publicKey: c.keys.publicKey, secretKey: c.keys.secretKey))
        }
        try s.set(options)
        handshakes = try HandshakeMonitor(watching: s, context: context, tracksConnection: true)
        try s.connect(config.endpoint)
        socket = s
        sessions += 1
        nonce = "\(sessions)-\(String(rng.next(), radix: 16))"
        sessionID = nil
        helloSent = false
        lastHeard = now()
        heartbeatMs = config.heartbeatMs
        liveness = config.liveness
    }

    private func sendHello() {
        let held = Array(running.keys).sorted() + backlog.map(\.jobID)
        let hello = Message.Hello(workerID: config.workerID, host: config.host, pid: config.pid, slots: config.slots,
                                  buildVersion: config.buildVersion, capabilities: config.capabilities, nonce: nonce, running: held)
        helloSent = send(.hello(hello))
    }

    /// Drops the session; reconnects after a backoff, or at once.
    func resetSession(backoff: Bool) {
        closeSession(linger: 0)
        if backoff {
            let jitter = 0.75 + 0.5 * rng.uniform()
            let delayMs = Int(Double(backoffMs) * jitter)
            reconnectAt = now() + Double(delayMs) / 1000
            log("reconnecting in \(delayMs) ms")
            backoffMs = min(config.reconnectMaxMs, backoffMs * 2)
        } else {
            reconnectAt = now()
        }
    }

    /// Says why the coordinator refused this worker's connection (once per refusal).
    private func logRefusals() {
        for f in handshakes?.drain() ?? [] {
            switch f.kind {
            case .refusedByAuthenticator:
                let key = config.curve.map { " (this worker's public key \($0.keys.publicKey))" } ?? ""
                log("refused by the coordinator: its CURVE whitelist does not admit this worker\(key)")
            case .cryptographic, .noDetail where config.curve != nil:
                log("refused by the coordinator: the CURVE handshake failed; is --curve-server-key the coordinator's public key?")
            case .mechanismMismatch:
                log("refused by the coordinator: " + (config.curve == nil
                    ? "it requires CURVE; give --curve-server-key" : "it does not use CURVE; drop --curve-server-key"))
            case .closedDuringHandshake where config.curve != nil:
                log("refused by the coordinator: it closed the connection during the CURVE handshake; "
                    + "is --curve-server-key the coordinator's public key?")
            case .closedDuringHandshake:
                break   // a plaintext connection that dropped: the liveness rules deal with it
            case .other, .noDetail:
                log("refused by the coordinator: \(f)")
            }
        }
    }

    func closeSession(linger: Int) {
        handshakes?.close()
        handshakes = nil
        guard let s = socket else { return }
        try? s.set(.linger(milliseconds: linger))
        s.close()
        socket = nil
        sessionID = nil
        helloSent = false
    }

    /// Hands back unfinished jobs with DISCONNECT and closes with a linger so it is flushed.
    private func shutdown(_ reason: String) {
        let jobs = Array(running.keys).sorted() + backlog.map(\.jobID)
        if sessionID != nil {
            send(.disconnect(.init(reason: reason, jobs: jobs)))
            log("stopping (\(reason)): handed back \(jobs.count) job(s), \(unacked.count) result(s) unacknowledged")
        } else {
            log("stopping (\(reason)) without a session: \(jobs.count) job(s) will expire at the coordinator")
        }
        closeSession(linger: config.lingerMs)
    }

    /// Sends without blocking. False if it could not be queued (no connection, or the
    /// high-water mark): every caller either can lose the message or resends it later.
    @discardableResult
    func send(_ message: Message) -> Bool {
        guard let s = socket else { return false }
        do {
            return try s.send(message.encode(), dontWait: true)
        } catch {
            log("send \(message.command) failed: \(error)")
            return false
        }
    }
}
