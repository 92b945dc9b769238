import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The web view on a real socket: Hummingbird on SwiftNIO's own threads, beside (never inside)
/// the coordinator's ZeroMQ loop. `start` returns once the socket is bound (port 0 resolved);
/// `stop` ends the open event streams and the server, bounded in time.
public final class WebServer: @unchecked Sendable {
    public let bind: HTTPBind
    /// The port actually bound (the kernel's pick for port 0).
    public let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup
    private let gate: StreamGate

    public var url: String { "http://\(HTTPBind(host: bind.host, port: port))/" }

    private init(bind: HTTPBind, port: Int, task: Task<Void, any Error>, group: ServiceGroup, gate: StreamGate) {
        self.bind = bind; self.port = port; self.task = task; self.group = group; self.gate = gate
    }

    /// Binds and starts serving `app`; throws `WebConfigError` when the socket cannot be bound.
    public static func start(_ app: WebApp, bind: HTTPBind, logger: Logger) async throws -> WebServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning) // Hummingbird logs every start and request at info
        let application = Application(
            router: app.router(),
            configuration: .init(address: .hostname(bind.host, port: bind.port), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? -1); continuation.finish() },
            logger: quiet)
        // No signal handlers here: the coordinator's StopFlag owns SIGINT/SIGTERM.
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: quiet))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var bound: Int?
        for await p in ports { bound = p }
        guard let port = bound, port > 0 else {
            task.cancel()
            let why: String
            do { try await task.value; why = "the server ended at once" } catch { why = "\(error)" }
            throw WebConfigError("cannot serve HTTP on \(bind): \(why)")
        }
        return WebServer(bind: bind, port: port, task: task, group: group, gate: app.streams)
    }

    /// `start` for synchronous callers (the coordinator's commands).
    public static func startBlocking(_ app: WebApp, bind: HTTPBind, logger: Logger) throws -> WebServer {
        let box = ResultBox<WebServer>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await start(app, bind: bind, logger: logger)) } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
    }

    /// Ends the event streams, then shuts the server down gracefully (requests in flight finish);
    /// after `timeout` seconds it is cancelled instead.
    public func stop(timeout: Double = 3) {
        gate.close()
        let done = DispatchSemaphore(value: 0)
        let task = self.task, group = self.group
        Task { await group.triggerGracefulShutdown() }
        Task { _ = try? await task.value; done.signal() }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            _ = done.wait(timeout: .now() + 1)
        }
    }

    /// Serves until `stop` or a failure of the server.
    public func wait() async throws {
        do { try await task.value } catch is CancellationError {}
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}
