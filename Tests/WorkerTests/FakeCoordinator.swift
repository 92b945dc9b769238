import Foundation
// The fake coordinator is TestSupport's (Tests/Support), shared by every test target; re-exported
// here so this target's tests see it without an import of their own.
@_exported import TestSupport
@testable import Shared
@testable import Worker

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
