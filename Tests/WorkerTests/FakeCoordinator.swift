import Foundation
import Testing
@testable import Shared
@testable import Worker

/// The coordinator's side of the protocol, played by a test with a real ROUTER socket.
/// Owned by the test's thread.
final class FakeCoordinator {
    let context: ZMQContext
    let router: ZMQSocket
    let endpoint: String

    /// Admits only whitelisted CURVE clients when `curve` is given.
    private var authenticator: CurveAuthenticator?

    /// Binds `endpoint` (default: a free loopback port); a CURVE server if `curve` is given.
    init(endpoint: String = "tcp://127.0.0.1:*", curve: (server: CurveKeys, allowed: Set<String>)? = nil) throws {
        context = try ZMQContext()
        if let curve { authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: curve.allowed) }
        router = try context.socket(.router)
        try router.set([.linger(milliseconds: 0), .routerMandatory(true), .routerHandover(true)])
        if let curve { try router.set(.curveServer(secretKey: curve.server.secretKey)) }
        // Rebinding a port a just-closed socket held can race libzmq's I/O thread: retry briefly.
        var attempt = 0
        while true {
            do { try router.bind(endpoint); break } catch let e as ZMQError where e.errno == EADDRINUSE && attempt < 50 {
                attempt += 1
                usleep(20_000)
            }
        }
        self.endpoint = try router.lastEndpoint
    }

    /// Workers welcomed, with the session id to heartbeat them with. While a test waits in
    /// `next`, each gets a HEARTBEAT every `heartbeatMs`, as a live coordinator would send.
    var peers: [Data: String] = [:]
    var heartbeatMs = 40
    private var lastBeat = 0.0

    func close() {
        router.close()
        authenticator?.stop()
    }

    private func beat() {
        let t = MonotonicTime.seconds()
        guard t - lastBeat >= Double(heartbeatMs) / 1000 else { return }
        lastBeat = t
        for (id, session) in peers { _ = try? router.send(Message.heartbeat(.init(sessionID: session)).encode(to: id), dontWait: true) }
    }

    /// The next message, or nil after `ms`. Heartbeats are skipped unless asked for.
    func next(within ms: Int = 3000, heartbeats: Bool = false) throws -> (id: Data, message: Message)? {
        let deadline = MonotonicTime.seconds() + Double(ms) / 1000
        while true {
            let left = Int((deadline - MonotonicTime.seconds()) * 1000)
            guard left > 0 else { return nil }
            beat()
            guard try zmqPoll([.socket(router, .readable)], timeoutMs: min(left, heartbeatMs))[0].contains(.readable),
                  let frames = try router.receive(dontWait: true) else { continue }
            let (id, m) = try Message.decodeRouted(frames)
            if case .heartbeat = m, !heartbeats { continue }
            return (id, m)
        }
    }

    /// The next message, which must be `command`.
    @discardableResult
    func expect(_ command: Message.Command, within ms: Int = 3000, sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: Data, message: Message) {
        let got = try #require(try next(within: ms, heartbeats: command == .heartbeat), "no \(command) within \(ms) ms", sourceLocation: sourceLocation)
        try #require(got.message.command == command, "expected \(command), got \(got.message)", sourceLocation: sourceLocation)
        return got
    }

    func send(_ m: Message, to id: Data) throws { try router.send(m.encode(to: id)) }

    /// HELLO -> WELCOME; returns the worker's routing id and its HELLO.
    func handshake(session: String = "s1", heartbeatMs: Int = 50, liveness: Int = 10,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: Data, hello: Message.Hello) {
        let (id, m) = try expect(.hello, sourceLocation: sourceLocation)
        guard case .hello(let h) = m else { throw ProtocolError.badSignature }
        try send(.welcome(.init(sessionID: session, nonce: h.nonce, heartbeatMs: heartbeatMs, liveness: liveness)), to: id)
        peers[id] = session
        return (id, h)
    }

    static func assign(_ token: Int, sleepMs: Int? = nil, lease: String = "l") -> Message.Assign {
        let spec = JobSpec(noop: NoopSpec(token: token, sleepMilliseconds: sleepMs))
        return Message.Assign(jobID: spec.id, leaseID: "\(lease)-\(token)", spec: spec, leaseMs: 5000)
    }
}

/// Lines a runtime logged, for assertions and for reading a failed test.
final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    func contains(_ s: String) -> Bool { all.contains { $0.contains(s) } }
}

/// A `WorkerRuntime` running on its own thread, with its log captured.
final class RuntimeHarness: @unchecked Sendable {
    let runtime: WorkerRuntime
    let log = LogSink()
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var exitResult: Result<WorkerExit, Error>?

    init(endpoint: String, slots: Int = 2, id: String = "w-\(UInt32.random(in: 0...UInt32.max))",
         heartbeatMs: Int = 50, liveness: Int = 10, curve: WorkerConfiguration.CurveClient? = nil, execute: JobExecute? = nil) throws {
        var c = WorkerConfiguration(endpoint: endpoint, slots: slots, workerID: id, host: "testhost", pid: 42,
                                    heartbeatMs: heartbeatMs, liveness: liveness)
        c.curve = curve
        c.reconnectMinMs = 20
        c.reconnectMaxMs = 100
        c.lingerMs = 500
        let sink = log
        let ctx = try ZMQContext()
        if let execute {
            runtime = try WorkerRuntime(config: c, context: ctx, execute: execute, log: { sink.append($0) })
        } else {
            runtime = try WorkerRuntime(config: c, context: ctx, log: { sink.append($0) })
        }
    }

    func start() {
        let t = Thread { [self] in
            let r = Result { try runtime.run() }
            lock.lock(); exitResult = r; lock.unlock()
            done.signal()
        }
        t.start()
    }

    /// Waits for `run()` to return.
    func waitForExit(seconds: Double = 5) throws -> WorkerExit {
        lock.lock()
        let known = exitResult
        lock.unlock()
        if let known { return try known.get() }
        guard done.wait(timeout: .now() + seconds) == .success else { throw HarnessError.timeout(log.all) }
        lock.lock(); defer { lock.unlock() }
        return try exitResult!.get()
    }

    /// Stops the runtime if a test left it running.
    func stop() {
        runtime.requestStop("test over")
        _ = try? waitForExit()
    }

    enum HarnessError: Error { case timeout([String]) }
}
