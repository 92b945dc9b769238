import Foundation
import Logging
import Shared

/// The coordinator's event loop: the one owner of the ROUTER socket and the store.
///
/// Each round: poll the socket, drain what arrived (decode, turn into scheduler events),
/// `tick` the scheduler, then apply the resulting actions: messages that need no durability
/// (WELCOME, ASSIGN, heartbeats, errors) leave at once; every store change of the round is
/// written in ONE transaction; then the ACKs leave. So a result is durable before its ACK, and
/// one fsync is shared by a whole round of results, which is what makes thousands of results per
/// second affordable with `synchronous = FULL`.
final class CoordinatorServer {
    struct Configuration {
        var bind: String
        /// Set `ZMQ_IPV6` (an IPv6 bind address, `Endpoint.needsIPv6`).
        var ipv6 = false
        var heartbeatInterval: Double = 1
        var liveness: Int = 3
        var maxAttempts: Int = 3
        var curve: CurveKeys?
        /// Z85 public keys of the workers admitted under CURVE; nil admits any worker that
        /// knows the server key (no ZAP handler).
        var allowedClientKeys: Set<String>?
        /// Most messages drained per round before the store is written.
        var maxBatch = 4096
        /// Per-job time limit in seconds and retries after a timeout (sweep file `timeout`,
        /// `timeout_retries`); nil: no limit.
        var jobTimeout: Double?
        var timeoutRetries = 0
        /// How often the steering rules' version is read (pause/resume/cancel from outside).
        var steeringInterval = 0.25
    }

    let configuration: Configuration
    let store: Store
    let logger: Logger
    let sessionID: String
    private(set) var scheduler: Scheduler
    private let context: ZMQContext
    private let socket: ZMQSocket
    /// Failed security handshakes on `socket`, logged as refusals (wrong key, plaintext client).
    private let handshakes: HandshakeMonitor
    private var authenticator: CurveAuthenticator?
    /// Worker key (its HELLO's id) <-> ROUTER routing id.
    private var routeOf: [String: Data] = [:]
    private var workerOf: [Data: String] = [:]
    private var hostOf: [String: String] = [:]
    /// The pid each worker id said hello with: a live id claimed by another host or pid is refused.
    private var pidOf: [String: Int] = [:]
    /// Refuses other protocol versions, warns once per worker about other builds.
    private var admission = WorkerAdmission()
    private let clock: () -> Double
    /// Counters for logs and benchmarks.
    private(set) var stats = Stats()

    struct Stats {
        var messagesIn = 0
        var malformed = 0
        var resultsCommitted = 0
        /// Committed results whose outcome is `diverged` (this run only).
        var divergedCommitted = 0
        /// Results for jobs already stored (resends, or another worker's run).
        var duplicates = 0
        /// Results from an earlier holder after the job was reassigned, or for a failed job.
        var lateResults = 0
        /// Results from workers that never held the job's lease: not stored.
        var refusedResults = 0
        var workersDead = 0
        var requeued = 0
        var failedJobs = 0
        var cancelledJobs = 0
        // For the web view's /metrics (docs/WEB.md).
        var leaseExpiries = 0
        var retries = 0
        var commits = 0
        var lastCommitSeconds = 0.0
    }
    /// Each worker's last HELLO (the web view's workers table: host, slots, build).
    private(set) var hellos: [String: Message.Hello] = [:]

    /// The bound endpoint (resolves a `:*` or `:0` port to the real one).
    var endpoint: String { (try? socket.lastEndpoint) ?? configuration.bind }

    init(configuration: Configuration, store: Store, logger: Logger,
         clock: @escaping () -> Double = MonotonicTime.seconds) throws {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.clock = clock
        var rng = Xoshiro256(seed: UInt64(UInt(bitPattern: Int(Date().timeIntervalSince1970 * 1e6))) ^ UInt64(getpid()))
        sessionID = String(Int(Date().timeIntervalSince1970), radix: 36) + String(rng.next() & 0xFFFFFF, radix: 36)

        let resume = try store.resumeState()
        if resume.requeuedLeases > 0 {
            logger.info("resume: \(resume.requeuedLeases) leased jobs back in the queue, \(resume.done.count) already done")
        }
        scheduler = Scheduler(
            configuration: .init(heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.liveness,
                                 maxAttempts: configuration.maxAttempts, sessionID: sessionID,
                                 jobTimeout: configuration.jobTimeout, timeoutRetries: configuration.timeoutRetries),
            pending: resume.pending, done: resume.done, failed: resume.failed, cancelled: resume.cancelled,
            priorHolders: resume.priorHolders)

        context = try ZMQContext()
        if configuration.curve != nil, let allowed = configuration.allowedClientKeys {
            // The ZAP handler must be bound before the CURVE server socket.
            let log = logger
            authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: allowed) { log.warning("\($0)") }
        }
        socket = try context.socket(.router)
        try socket.set([
            .linger(milliseconds: 2000),            // flush ACKs and DISCONNECTs on exit
            .routerMandatory(true),                 // unroutable sends fail loudly instead of vanishing
            .routerHandover(true),                  // a reconnecting worker takes over its routing id
            .maxMessageSize(bytes: Int64(Message.maxBytes)),
            .sendHighWaterMark(100_000), .receiveHighWaterMark(100_000),
        ])
        if let keys = configuration.curve { try socket.set(.curveServer(secretKey: keys.secretKey)) }
        if configuration.ipv6 { try socket.set(.ipv6(true)) }
        handshakes = try HandshakeMonitor(watching: socket, context: context)
        try socket.bind(configuration.bind)
    }

    deinit {
        socket.close()
        handshakes.close()
        authenticator?.stop()
    }

    var progress: Scheduler.Progress { scheduler.progress }

    /// One round: wait up to `timeout` seconds for traffic, handle it, tick, apply.
    func round(timeout: Double) throws {
        let events = try zmqPoll([.socket(socket, .readable), .socket(handshakes.socket, .readable)],
                                 timeoutMs: Int(timeout * 1000))
        if events[1].contains(.readable) { logRefusals(at: clock()) }
        var actions: [Scheduler.Action] = []
        var replies: [(Data, Message)] = []
        if events.first?.contains(.readable) == true {
            var n = 0
            while n < configuration.maxBatch, let frames = try socket.receive(dontWait: true) {
                n += 1
                handle(frames, actions: &actions, replies: &replies)
            }
        }
        actions += try steer(now: clock())
        actions += scheduler.tick(now: clock())
        try apply(actions, replies: replies)
    }

    /// The steering rules' version last applied, and when it was last read.
    private var steeringVersion: String?
    private var steeringReadAt = -Double.infinity

    /// Applies pause, resume and cancel rules written by other processes (Store+Steering.swift)
    /// when they changed: at most one cheap read every `steeringInterval`.
    private func steer(now: Double) throws -> [Scheduler.Action] {
        guard now - steeringReadAt >= configuration.steeringInterval else { return [] }
        steeringReadAt = now
        let version = try store.steeringVersion()
        guard version != steeringVersion else { return [] }
        steeringVersion = version
        let steered = try store.steeredJobs()
        if !steered.paused.isEmpty || scheduler.progress.paused > 0 {
            logger.info("steering: \(steered.paused.count) job(s) paused, \(steered.cancelled.count) to cancel")
        }
        var actions = scheduler.cancel(steered.cancelled, now: now)
        actions += scheduler.setPaused(steered.paused, now: now)
        return actions
    }

    /// Last time each kind of refused handshake was logged, and how many came since: a refused
    /// client retries every 100 ms (libzmq's reconnect), so each kind is logged at most every 10 s.
    private var refusalLog: [String: (at: Double, since: Int)] = [:]

    private func logRefusals(at now: Double) {
        for f in handshakes.drain() {
            let kind = f.description
            if let last = refusalLog[kind], now - last.at < 10 { refusalLog[kind]!.since += 1; continue }
            let more = refusalLog[kind].map { $0.since > 0 ? " (\($0.since) more like it since the last report)" : "" } ?? ""
            refusalLog[kind] = (now, 0)
            let who = f.kind == .refusedByAuthenticator ? "" : "; libzmq cannot tell its key or address before the handshake"
            logger.warning("refused a worker connection on \(f.endpoint): \(f)\(who)\(more)")
        }
    }

    // MARK: Incoming

    private func handle(_ frames: [Data], actions: inout [Scheduler.Action], replies: inout [(Data, Message)]) {
        stats.messagesIn += 1
        let now = clock()
        let routing: Data
        let message: Message
        do {
            (routing, message) = try Message.decodeRouted(frames)
        } catch let e as RoutedDecodeError {
            stats.malformed += 1
            if case .unsupportedVersion(let v) = e.error {
                let refusal = admission.refuse(version: v, frames: Array(frames.dropFirst()), from: e.routingID)
                if let line = refusal.log { logger.error("\(line)") }
                replies.append((e.routingID, .error(refusal.reply)))
                return
            }
            logger.warning("malformed message from \(hex(e.routingID)): \(e.error)")
            if let w = workerOf[e.routingID] { scheduler.touch(worker: w, now: now) }
            replies.append((e.routingID, .error(e.error.report)))
            return
        } catch {
            stats.malformed += 1
            logger.warning("malformed message: \(error)")
            return
        }

        if case .hello(let h) = message {
            guard Data(h.workerID.utf8) == routing else {
                // PROTOCOL.md section 2: the routing id IS the worker id; replies go by routing id.
                stats.malformed += 1
                let why = "HELLO workerID \(h.workerID) differs from the routing id \(hex(routing)); set ZMQ_ROUTING_ID to the workerID"
                logger.warning("refused HELLO: \(why)")
                replies.append((routing, .error(.init(code: ProtocolError.Code.malformedBody.rawValue, message: why,
                                                      command: Int(Message.Command.hello.rawValue)))))
                return
            }
            if scheduler.isConnected(worker: h.workerID), let pid = pidOf[h.workerID], let host = hostOf[h.workerID],
               pid != h.pid || host != h.host {
                // Two processes under one --id would take the connection from each other forever
                // (ROUTER handover): the one already connected keeps it, the newcomer is refused.
                let why = "worker id \(h.workerID) is in use by pid \(pid) on \(host), which is connected; "
                    + "give every worker a unique --id (the default is unique)"
                logger.error("refused HELLO from pid \(h.pid) on \(h.host): \(why)")
                scheduler.touch(worker: h.workerID, now: now)
                replies.append((routing, .error(.init(code: ProtocolError.Code.duplicateWorkerID.rawValue, message: why,
                                                      command: Int(Message.Command.hello.rawValue)))))
                return
            }
            pidOf[h.workerID] = h.pid
            hellos[h.workerID] = h
            // A worker id that arrives through a new routing id takes it over.
            if let old = routeOf[h.workerID], old != routing { workerOf[old] = nil }
            routeOf[h.workerID] = routing
            workerOf[routing] = h.workerID
            hostOf[h.workerID] = h.host
            if let warning = admission.buildWarning(for: h) { logger.warning("\(warning)") }
            logger.info("hello from \(h.workerID) on \(h.host) (pid \(h.pid), \(h.slots) slots)")
            replies.append((routing, .welcome(.init(sessionID: sessionID, nonce: h.nonce,
                                                     heartbeatMs: Int(configuration.heartbeatInterval * 1000),
                                                     liveness: configuration.liveness))))
            let kinds = Set(h.capabilities.compactMap(JobKind.init(rawValue:)))
            if kinds.isEmpty {
                logger.warning("worker \(h.workerID) runs none of this build's job kinds (\(h.capabilities)): it gets no jobs")
            }
            actions += scheduler.hello(worker: h.workerID, slots: h.slots, kinds: kinds,
                                       running: h.running, now: now)
            return
        }
        let worker = workerOf[routing] ?? "unknown-" + hex(routing)
        if workerOf[routing] == nil { routeOf[worker] = routing; workerOf[routing] = worker }

        switch message {
        case .ready(let r):
            actions += scheduler.credit(worker: worker, free: r.credit, now: now)
        case .heartbeat(let hb):
            actions += scheduler.heartbeat(worker: worker, running: hb.running, now: now)
            if let free = hb.free { actions += scheduler.credit(worker: worker, free: free, now: now) }
        case .result(let r):
            actions += scheduler.result(worker: worker, r, now: now)
        case .failure(let f):
            logger.warning("job \(f.jobID) failed on \(worker): \(f.error)")
            actions += scheduler.failure(worker: worker, jobID: f.jobID, leaseID: f.leaseID, message: f.error,
                                         retryable: f.retryable, now: now)
        case .disconnect(let d):
            logger.info("worker \(worker) disconnects (\(d.reason)), hands back \(d.jobs.count) jobs")
            actions += scheduler.disconnect(worker: worker, handedBack: d.jobs, now: now)
            routeOf[worker] = nil; workerOf[routing] = nil
        case .hello:
            break // handled above
        case .welcome, .assign, .ack, .error, .cancel:
            scheduler.touch(worker: worker, now: now)
            replies.append((routing, .error(.init(code: ProtocolError.Code.unexpectedCommand.rawValue,
                                                  message: "\(message.command) is not sent by workers",
                                                  command: Int(message.command.rawValue)))))
        }
    }

    // MARK: Outgoing

    /// Executes a round's plan (`RoundPlan`). Order: replies and every message that needs no
    /// durability (ASSIGN, heartbeats, errors) leave first, so workers start at once; then every
    /// store change of the round in ONE transaction (one fsync); then the ACKs, which must not
    /// leave before the results they acknowledge are durable. A lease need not be durable before
    /// its ASSIGN: after a crash every leased job goes back to pending anyway (`Store.resumeState`).
    private func apply(_ actions: [Scheduler.Action], replies: [(Data, Message)]) throws {
        for (routing, m) in replies { send(m, to: routing) }
        let assigned = RoundPlan.jobsToSend(actions)
        let specs = assigned.isEmpty ? [:] : try store.specs(for: assigned)
        let plan = RoundPlan(actions, specs: specs, hostOf: hostOf, sessionID: sessionID, now: clock())
        for step in plan.beforeCommit {
            switch step {
            case let .send(worker, m): send(m, toWorker: worker)
            case let .forget(worker): if let r = routeOf.removeValue(forKey: worker) { workerOf[r] = nil }
            }
        }
        for note in plan.notes { record(note) }
        if !plan.writes.isEmpty {
            let t0 = clock()
            let report = try store.apply(plan.writes)
            stats.commits += 1; stats.lastCommitSeconds = clock() - t0
            stats.resultsCommitted += report.committed.count
            let committed = Set(report.committed)
            for case let .result(r) in plan.writes where r.outcome.status == .diverged && committed.contains(r.jobID) {
                stats.divergedCommitted += 1
            }
            stats.duplicates += report.duplicates.count
        }
        for (worker, jobID) in plan.acksAfterCommit { send(.ack(.init(jobID: jobID)), toWorker: worker) }
    }

    /// Counters and log lines for a plan's notes.
    private func record(_ note: RoundPlan.Note) {
        switch note {
        case .duplicateResult: stats.duplicates += 1
        case .lateResult: stats.lateResults += 1
        case let .refusedResult(worker, jobID):
            stats.refusedResults += 1
            logger.warning("refused RESULT for job \(jobID) from \(worker): it never held the job's lease (not stored)")
        case let .staleJob(worker, jobID):
            logger.info("worker \(worker) still holds job \(jobID), which is stored or failed: told to drop it")
        case let .requeued(_, reason):
            stats.requeued += 1
            switch reason {
            case .leaseExpired: stats.leaseExpiries += 1
            case .failed, .timedOut: stats.retries += 1
            case .workerDead, .workerRestarted, .handedBack: break
            }
        case let .stopped(jobID, worker, reason):
            logger.info("job \(jobID) \(reason): told \(worker) to stop it")
        case let .cancelled(jobID):
            stats.cancelledJobs += 1
            logger.info("job \(jobID) cancelled")
        case let .failedForGood(jobID, error):
            stats.failedJobs += 1
            logger.error("job \(jobID) failed for good: \(error)")
        case let .workerDead(worker):
            stats.workersDead += 1
            logger.warning("worker \(worker) is silent past liveness: declared dead, its jobs requeued")
        case let .missingSpec(jobID):
            logger.error("job \(jobID) has no spec in the store")
        case let .unknownJob(worker, jobID):
            // PROTOCOL.md 8.3: a RESULT or FAILURE for a job that is not ours is ACKed, so the
            // worker forgets it instead of resending it after every WELCOME.
            logger.warning("worker \(worker) reported job \(jobID), which is not in this sweep: acknowledged, not stored")
        }
    }

    /// Says goodbye to every known worker (they exit or wait for a new session).
    func disconnectAll(reason: String) {
        for (_, routing) in routeOf { send(.disconnect(.init(reason: reason)), to: routing) }
    }

    private func send(_ m: Message, toWorker worker: String) {
        guard let routing = routeOf[worker] else { return }
        send(m, to: routing)
    }

    private func send(_ m: Message, to routing: Data) {
        do {
            _ = try socket.send(m.encode(to: routing), dontWait: true)
        } catch let e as ZMQError where e.isUnroutable || e.isWouldBlock {
            // The peer is gone or not reading: liveness and lease deadlines recover from this.
            logger.debug("cannot send \(m.command) to \(hex(routing)): \(e)")
        } catch {
            logger.warning("send \(m.command) failed: \(error)")
        }
    }
}

func hex(_ d: Data) -> String {
    if let s = String(data: d, encoding: .utf8), s.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 32 }) { return s }
    return d.map { String(format: "%02x", $0) }.joined()
}
