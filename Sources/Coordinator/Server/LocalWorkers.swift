import Foundation
import Shared

/// Real `urnn-worker` processes started by the coordinator on loopback
/// (`--local-workers N`). They speak the same protocol as remote workers.
///
/// They never outlive the coordinator: each gets `--parent-pid` with this process's pid, so it
/// asks the kernel for SIGTERM when this process dies (Linux `PR_SET_PDEATHSIG`, kill -9
/// included) and exits at once if it was already orphaned; `stop()` ends them on every orderly
/// way out, errors included. A failed start stops the ones already started.
final class LocalWorkers {
    private(set) var processes: [Process] = []

    /// The worker binary: `$URNN_WORKER_BINARY`, else `urnn-worker` next to this executable.
    static func workerBinary() throws -> URL {
        if let p = ProcessInfo.processInfo.environment["URNN_WORKER_BINARY"] { return URL(fileURLWithPath: p) }
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidate = me.deletingLastPathComponent().appendingPathComponent("urnn-worker")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw CoordinatorError.setup("cannot find urnn-worker next to \(me.path); build it (swift build) or set URNN_WORKER_BINARY")
        }
        return candidate
    }

    /// Where worker `index`'s output goes when `start` is given `logBeside: storePath`:
    /// `results/smoke.sqlite` -> `results/smoke.worker-0.log`.
    static func logPath(beside storePath: String, index: Int) -> String {
        let base = storePath.hasSuffix(".sqlite") ? String(storePath.dropLast(7)) : storePath
        return "\(base).worker-\(index).log"
    }

    /// Starts `count` workers connecting to `endpoint`, each with `slots` slots. With `logBeside`
    /// (the store's path) each worker's stdout and stderr go to its own log file beside the store
    /// (`logPath`, appended to), so the terminal keeps only the coordinator's progress and events.
    func start(count: Int, endpoint: String, slots: Int, extraArguments: [String] = [], logBeside storePath: String? = nil) throws {
        let binary = try Self.workerBinary()
        let me = ProcessInfo.processInfo.processIdentifier
        do {
            for i in 0..<count {
                let p = Process()
                p.executableURL = binary
                p.arguments = ["--connect", endpoint, "--slots", String(slots), "--id", "local-\(me)-\(i)",
                               "--parent-pid", String(me)] + extraArguments
                if let storePath {
                    let path = Self.logPath(beside: storePath, index: i)
                    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
                    guard let log = FileHandle(forWritingAtPath: path) else {
                        throw CoordinatorError.setup("cannot write the worker log \(path)")
                    }
                    log.seekToEndOfFile()
                    p.standardOutput = log
                    p.standardError = log
                }
                try p.run()
                processes.append(p)
            }
        } catch {
            stop()
            throw CoordinatorError.setup("cannot start local worker \(processes.count + 1) of \(count) (\(binary.path)): \(error)")
        }
    }

    /// Sends SIGTERM to every worker still running and waits up to `timeout` seconds,
    /// then SIGKILLs what is left.
    /// Idempotent.
    func stop(timeout: Double = 10) {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while processes.contains(where: { $0.isRunning }), Date() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }
}

/// Errors the coordinator reports to the user (the executable turns them into exit codes).
enum CoordinatorError: Error, CustomStringConvertible {
    case setup(String)
    case insecureBind(String)
    var description: String {
        switch self {
        case .setup(let m): return m
        case .insecureBind(let m): return m
        }
    }
}

/// Secure by default: a bind address that is not loopback needs CURVE keys or `--insecure`.
enum BindPolicy {
    /// `endpoint` is parsed (and a host name resolved) already: loopback is decided on the address.
    static func check(endpoint: Endpoint, hasCurveKeys: Bool, insecure: Bool) throws {
        if endpoint.isLoopback || hasCurveKeys || insecure { return }
        throw CoordinatorError.insecureBind(
            "refusing to bind \(endpoint) without CURVE keys: anyone who can reach it could take jobs or send results. "
            + "Configure --curve-secret-file, or say --insecure on a trusted network.")
    }
}
