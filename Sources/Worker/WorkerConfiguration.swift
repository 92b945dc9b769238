import Foundation
import Shared

/// Everything the worker runtime needs to know, fixed for its lifetime.
struct WorkerConfiguration: Sendable {
    /// Coordinator endpoint, e.g. "tcp://10.0.0.1:5555".
    var endpoint: String
    /// Jobs run at once.
    var slots: Int
    /// Unique id, also the DEALER's routing id (1-255 bytes).
    var workerID: String
    var host: String
    var pid: Int
    /// Heartbeat interval and liveness used until the coordinator's WELCOME says otherwise.
    var heartbeatMs: Int = 1000
    var liveness: Int = 4
    /// Reconnect backoff: starts at `reconnectMinMs`, doubles per failed attempt up to
    /// `reconnectMaxMs`, with +-25% jitter so a crowd of workers does not reconnect in step.
    var reconnectMinMs: Int = 250
    var reconnectMaxMs: Int = 8000
    /// How long a closing socket may keep flushing DISCONNECT and results.
    var lingerMs: Int = 2000
    var capabilities: [String] = JobKind.allCases.map(\.rawValue)
    var buildVersion: String = BuildInfo.build
    /// CURVE client settings, or nil for plain TCP.
    var curve: CurveClient?
    /// Seeds nonces and backoff jitter (not results: those depend only on the job spec).
    var seed: UInt64 = 1
    /// Exit after this many seconds with neither a coordinator session nor a job (nil: never),
    /// so a worker whose coordinator is gone for good does not hold its host forever.
    var idleExitSeconds: Double?
    /// Set `ZMQ_IPV6` on the socket (the coordinator's address is IPv6).
    var ipv6 = false

    struct CurveClient: Sendable {
        var serverKey: String
        var keys: CurveKeys
    }

    /// The short host name (`gethostname`).
    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "unknown-host" }
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let full = String(decoding: bytes, as: UTF8.self)
        return String(full.split(separator: ".").first ?? Substring(full))
    }

    /// "HOST-PID-RRRR" with 4 random hex digits from `rng`: unique across processes and hosts
    /// (ROUTER's automatic ids repeat across processes, so the worker always sets its own).
    static func defaultWorkerID(host: String, pid: Int, rng: inout Xoshiro256) -> String {
        let r = String(rng.next() & 0xFFFF, radix: 16)
        return "\(host)-\(pid)-\(String(repeating: "0", count: 4 - r.count) + r)"
    }

    /// Cores available to this process.
    static func defaultSlots() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Why the runtime stopped.
enum WorkerExit: Equatable, Sendable {
    /// `requestStop` (SIGTERM/SIGINT): unfinished jobs were handed back.
    case stopped(String)
    /// The coordinator sent DISCONNECT (e.g. the sweep is finished).
    case released(String)
    /// No coordinator session and no job for `idleExitSeconds`.
    case idle(String)
}

/// Errors that end the worker with a non-zero status.
enum WorkerError: Error, CustomStringConvertible, Equatable {
    /// The coordinator speaks a protocol version this worker does not.
    case incompatible(String)
    /// Started as a local worker (`--parent-pid`) whose coordinator is already gone.
    case orphaned(parent: Int32)
    /// The coordinator refused this worker's id: another live worker holds it.
    case duplicateID(String)
    var description: String {
        switch self {
        case .duplicateID(let m): return "refused by the coordinator: \(m)"
        case .incompatible(let m): return "coordinator is incompatible: \(m)"
        case .orphaned(let p): return "the coordinator that started this worker (pid \(p)) is gone"
        }
    }
}
