import Foundation
import Shared

/// The worker's I/O shell: one DEALER connection at a time to the coordinator, jobs on their
/// own threads via `JobRunner`. Every decision is `WorkerSession`'s (events in, actions out);
/// this class only polls, reads the clock, and executes the session's actions.
///
/// Threads: `run()` is the loop and the only code that touches the socket or the session; job
/// threads hand results back through `JobRunner`'s queue and wake the loop; `requestStop` may
/// be called from any thread (e.g. a signal source).
final class WorkerRuntime: @unchecked Sendable {
    let config: WorkerConfiguration
    let context: ZMQContext
    let runner: JobRunner
    let now: @Sendable () -> Double
    let log: @Sendable (String) -> Void

    private let stopLock = NSLock()
    private var stopReason: String?

    // Loop-thread state.
    private var session: WorkerSession
    private var socket: ZMQSocket?
    /// Failed security handshakes of `socket`: the worker says it was refused, and why.
    private var handshakes: HandshakeMonitor?
    private var end: Result<WorkerExit, WorkerError>?

    init(config: WorkerConfiguration, context: ZMQContext, execute: @escaping JobExecute = { spec, cancellation, progress in
             try JobExecutor.run(spec, context: JobContext(cancellation: cancellation), progress: progress) },
         now: @escaping @Sendable () -> Double = { MonotonicTime.seconds() }, log: @escaping @Sendable (String) -> Void) throws {
        precondition(config.slots >= 1)
        self.config = config
        self.context = context
        self.now = now
        self.log = log
        self.runner = try JobRunner(execute: execute, now: now, log: log)
        self.session = WorkerSession(config: config, now: now())
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

    /// Runs until stopped or released. Throws `WorkerError` or `ZMQError` on fatal problems.
    func run() throws -> WorkerExit {
        log("worker \(config.workerID) on \(config.host): \(config.slots) slots, coordinator \(config.endpoint)")
        defer { closeSocket(linger: 0) }
        while true {
            if let reason = pendingStop { try perform(session.stop(reason, now: now())) }
            if let end { return try end.get() }
            try perform(session.tick(now: now()))
            if let end { return try end.get() }
            let t = now()
            var items: [ZMQPollItem] = [.fileDescriptor(runner.wake.fileDescriptor, .readable)]
            if let s = socket { items.append(.socket(s, session.wantsWritable ? [.readable, .writable] : .readable)) }
            if let m = handshakes { items.append(.socket(m.socket, .readable)) }
            let timeout = max(0, min(60_000, Int(((session.nextDeadline(now: t) - t) * 1000).rounded(.up))))
            let ready = try zmqPoll(items, timeoutMs: timeout)
            if handshakes != nil, ready.count > 2, ready[2].contains(.readable) { logRefusals() }
            if ready[0].contains(.readable) {
                for job in runner.takeFinished() { try perform(session.jobFinished(job, now: now())) }
            }
            if let s = socket, socket === s, ready.count > 1 {
                if session.wantsWritable, ready[1].contains(.writable) { try perform(session.connectionWritable(now: now())) }
                if ready[1].contains(.readable) { try receiveAll(s) }
            }
        }
    }

    /// Reads every waiting message, until the session drops this connection or ends.
    private func receiveAll(_ s: ZMQSocket) throws {
        while socket === s, end == nil, let frames = try s.receive(dontWait: true) {
            let t = now()
            do {
                try perform(session.received(try Message.decode(frames), now: t))
            } catch let e as ProtocolError {
                // A coordinator of another protocol version refusing this worker (PROTOCOL.md 4.5).
                if case .unsupportedVersion = e, let refusal = WorkerError.versionRefusal(frames, build: config.buildVersion) {
                    try perform([.fail(refusal)])
                    return
                }
                try perform(session.receivedMalformed(e, now: t))
            }
        }
    }

    /// Executes the session's actions in order.
    private func perform(_ actions: [WorkerSession.Action]) throws {
        for action in actions {
            switch action {
            case .connect: try openSocket()
            case .send(let m):
                if !send(m) { try perform(session.sendFailed(m, now: now())) }
            case .startJob(let a): runner.start(a)
            case .cancelJob(let id): runner.cancel(id)
            case .reconnect: closeSocket(linger: 0)
            case .close(let ms): closeSocket(linger: ms)
            case .exit(let e): end = .success(e)
            case .fail(let e): end = .failure(e)
            case .log(let line): log(line)
            }
        }
    }

    /// A new DEALER, connected; HELLO goes out as soon as the connection is writable.
    private func openSocket() throws {
        closeSocket(linger: 0)
        let s = try context.socket(.dealer)
        var options: [ZMQSocketOption] = [
            .linger(milliseconds: 0), .routingID(Data(config.workerID.utf8)),
            // Queue nothing for a coordinator that is not connected: results stay unacked in the
            // session and are resent after the next WELCOME instead of going stale.
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
    }

    private func closeSocket(linger: Int) {
        handshakes?.close()
        handshakes = nil
        guard let s = socket else { return }
        try? s.set(.linger(milliseconds: linger))
        s.close()
        socket = nil
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
            case .noDetail:
                // A plaintext worker's handshake fails without detail when the coordinator closes
                // first on the mechanism mismatch (libzmq reports it either way, by timing).
                log("refused by the coordinator: it requires CURVE, most likely (the handshake failed with no "
                    + "detail from libzmq); give --curve-server-key")
            case .other:
                log("refused by the coordinator: \(f)")
            }
        }
    }

    /// Sends without blocking. False if it could not be queued (no connection, or the
    /// high-water mark): the session decides whether it is lost or resent later.
    private func send(_ message: Message) -> Bool {
        guard let s = socket else { return false }
        do {
            return try s.send(message.encode(), dontWait: true)
        } catch {
            log("send \(message.command) failed: \(error)")
            return false
        }
    }
}
