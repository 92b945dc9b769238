import Foundation
import Shared

/// Lightweight protocol-speaking noop workers for the coordinator benchmark.
///
/// Each worker is one DEALER socket on real TCP loopback that speaks PROTOCOL.md like
/// `urnn-worker`: HELLO, then READY with all its slots after WELCOME; every ASSIGN is run at
/// once with `JobExecutor` (a noop job returns immediately) and answered with RESULT followed
/// by READY(credit 1), exactly the traffic a real worker sends; HEARTBEAT (running, free) every
/// heartbeat interval; results are kept until ACKed. Many workers share one thread, which polls
/// all of its sockets (`zmq_poll`): on a 2-core machine 50 worker processes would mostly measure
/// the operating system's scheduler, not the coordinator.
final class NoopWorkerPool: @unchecked Sendable {
    /// What the workers saw, summed over all of them.
    struct Counts: Sendable {
        var welcomed = 0
        var assigns = 0
        var resultsSent = 0
        var acks = 0
        /// ERROR messages received (e.g. `hello-required` after a false death).
        var errors = 0
        /// Times a worker heard nothing from the coordinator for `liveness` intervals.
        var coordinatorSilences = 0
        /// Seconds from sending a RESULT to receiving its ACK (the durability wait).
        var resultToAck: [Double] = []
        /// Job ids received more than once in an ASSIGN.
        var duplicateAssigns = 0
    }

    let endpoint: String
    let workers: Int
    let slots: Int
    let threads: Int
    let heartbeatInterval: Double
    let liveness: Int
    let idPrefix: String
    private let context: ZMQContext
    private let stopFlag = StopFlag()
    private let lock = NSLock()
    private var counts = Counts()
    private var running: [DispatchSemaphore] = []
    private var setupErrors: [String] = []

    /// - workers: DEALER sockets; `threads` threads share them round robin.
    /// - heartbeatInterval: seconds between worker heartbeats until WELCOME sets it.
    init(endpoint: String, workers: Int, slots: Int, threads: Int, heartbeatInterval: Double = 1,
         liveness: Int = 3, idPrefix: String = "bench") throws {
        precondition(workers >= 1 && slots >= 1 && threads >= 1, "workers, slots and threads must be positive")
        self.endpoint = endpoint
        self.workers = workers
        self.slots = slots
        self.threads = min(threads, workers)
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.idPrefix = idPrefix
        context = try ZMQContext()
        // libzmq allows 1023 sockets per context by default; leave room beyond the workers.
        if workers + 16 > context.maxSockets { try context.setMaxSockets(workers + 64) }
    }

    /// Starts the threads; each creates, connects and owns its sockets.
    func start() {
        for t in 0..<threads {
            let ids = stride(from: t, to: workers, by: threads).map { "\(idPrefix)-\($0)" }
            let done = DispatchSemaphore(value: 0)
            running.append(done)
            let thread = Thread { [self] in
                var local = Counts()
                do { try serve(ids: ids, counts: &local) } catch {
                    lock.lock(); setupErrors.append("\(error)"); lock.unlock()
                }
                lock.lock(); merge(local); lock.unlock()
                done.signal()
            }
            thread.name = "bench-workers-\(t)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Stops every thread, waits for them and returns the summed counts.
    func stop() throws -> Counts {
        stopFlag.set()
        for s in running { s.wait() }
        running = []
        lock.lock(); defer { lock.unlock() }
        if let e = setupErrors.first { throw CoordinatorError.setup("bench workers: \(e)") }
        return counts
    }

    /// Adds one thread's counts to the total (under `lock`).
    private func merge(_ c: Counts) {
        counts.welcomed += c.welcomed; counts.assigns += c.assigns; counts.resultsSent += c.resultsSent
        counts.acks += c.acks; counts.errors += c.errors; counts.coordinatorSilences += c.coordinatorSilences
        counts.resultToAck += c.resultToAck; counts.duplicateAssigns += c.duplicateAssigns
    }

    // MARK: One thread

    private struct Worker {
        let id: String
        let socket: ZMQSocket
        var sessionID: String?
        var heartbeat: Double
        var lastHeard: Double
        var nextHeartbeat: Double
        /// RESULTs sent and not yet ACKed, with the time they left.
        var unacked: [String: Double] = [:]
        var seen: Set<String> = []
    }

    private func serve(ids: [String], counts: inout Counts) throws {
        var ws: [Worker] = []
        let start = MonotonicTime.seconds()
        for id in ids {
            let s = try context.socket(.dealer)
            try s.set([.linger(milliseconds: 0), .routingID(Data(id.utf8)),
                       .maxMessageSize(bytes: Int64(Message.maxBytes))])
            try s.connect(endpoint)
            ws.append(Worker(id: id, socket: s, heartbeat: heartbeatInterval, lastHeard: start, nextHeartbeat: .infinity))
            sayHello(ws[ws.count - 1])
        }
        defer { for w in ws { w.socket.close() } }
        let items = ws.map { ZMQPollItem.socket($0.socket, .readable) }
        while !stopFlag.isSet {
            var now = MonotonicTime.seconds()
            var due = now + 0.05
            for i in ws.indices {
                if ws[i].sessionID != nil, now >= ws[i].nextHeartbeat {
                    send(.heartbeat(.init(running: [], free: slots)), on: ws[i])
                    ws[i].nextHeartbeat += ws[i].heartbeat
                    if ws[i].nextHeartbeat < now { ws[i].nextHeartbeat = now + ws[i].heartbeat }
                }
                if now - ws[i].lastHeard > ws[i].heartbeat * Double(liveness) {
                    counts.coordinatorSilences += 1
                    ws[i].lastHeard = now  // count each silent window once
                }
                due = min(due, ws[i].nextHeartbeat)
            }
            let ready = try zmqPoll(items, timeoutMs: max(0, Int(((due - now) * 1000).rounded(.up))))
            now = MonotonicTime.seconds()
            for (i, ev) in ready.enumerated() where ev.contains(.readable) {
                while let frames = try ws[i].socket.receive(dontWait: true) {
                    handle(frames, worker: &ws[i], now: now, counts: &counts)
                }
            }
        }
    }

    private func sayHello(_ w: Worker) {
        let hello = Message.Hello(workerID: w.id, host: "bench", pid: Int(getpid()), slots: slots,
                                  buildVersion: BuildInfo.version, capabilities: [JobKind.noop.rawValue],
                                  nonce: "\(w.id)-\(Int(MonotonicTime.seconds() * 1e6))", running: [])
        send(.hello(hello), on: w)
    }

    private func handle(_ frames: [Data], worker w: inout Worker, now: Double, counts: inout Counts) {
        w.lastHeard = now
        guard let message = try? Message.decode(frames) else { counts.errors += 1; return }
        switch message {
        case .welcome(let welcome):
            w.sessionID = welcome.sessionID
            w.heartbeat = Double(welcome.heartbeatMs) / 1000
            w.nextHeartbeat = now + w.heartbeat
            counts.welcomed += 1
            send(.ready(.init(credit: slots)), on: w)
        case .assign(let a):
            counts.assigns += 1
            if !w.seen.insert(a.jobID).inserted { counts.duplicateAssigns += 1 }
            let outcome = (try? JobExecutor.run(a.spec)) ?? JobOutcome(status: .diverged)
            let prov = Provenance(host: "bench", workerID: w.id, buildVersion: BuildInfo.version, wallSeconds: 0)
            send(.result(.init(jobID: a.jobID, leaseID: a.leaseID, outcome: outcome, provenance: prov)), on: w)
            w.unacked[a.jobID] = MonotonicTime.seconds()
            counts.resultsSent += 1
            send(.ready(.init(credit: 1)), on: w)
        case .ack(let ack):
            if let sent = w.unacked.removeValue(forKey: ack.jobID) {
                counts.acks += 1
                counts.resultToAck.append(now - sent)
            }
        case .heartbeat, .cancel:
            break
        case .error(let e):
            counts.errors += 1
            if e.code == ProtocolError.Code.helloRequired.rawValue { w.sessionID = nil; sayHello(w) }
        case .disconnect:
            w.sessionID = nil
        case .hello, .ready, .result, .failure:
            counts.errors += 1
        }
    }

    private func send(_ m: Message, on w: Worker) {
        _ = try? w.socket.send(m.encode(), dontWait: true)
    }
}
