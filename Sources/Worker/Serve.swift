import ArgumentParser
import Dispatch
import Foundation
import Shared

/// Options of the serving mode: `urnn-worker --connect tcp://HOST:5555 [--slots N] ...`.
struct ServeOptions: ParsableArguments {
    @Option(help: "Coordinator endpoint, e.g. tcp://127.0.0.1:5555.") var connect: String?
    @Option(help: "Jobs run at once (default: the machine's cores).") var slots: Int?
    @Option(help: "Unique worker id, also its ZeroMQ routing id (default: HOST-PID-RANDOM).") var id: String?
    @Option(help: "Heartbeat interval in ms until the coordinator's WELCOME sets it.") var heartbeatMs: Int = 1000
    @Option(help: "Silent heartbeat intervals before the coordinator is presumed dead.") var liveness: Int = 4
    @Option(help: "The coordinator's CURVE public key (Z85, 40 characters); enables encryption.") var curveServerKey: String?
    @Option(help: "File holding this worker's CURVE secret key (Z85); default: a fresh key pair per run.") var curveSecretFile: String?

    func validate() throws {
        if let s = slots, s < 1 { throw ValidationError("--slots must be at least 1") }
        if let i = id, !(1...255).contains(i.utf8.count) { throw ValidationError("--id must be 1-255 bytes") }
        if heartbeatMs < 10 { throw ValidationError("--heartbeat-ms must be at least 10") }
        if liveness < 2 { throw ValidationError("--liveness must be at least 2") }
        if curveSecretFile != nil && curveServerKey == nil { throw ValidationError("--curve-secret-file needs --curve-server-key") }
    }

    /// The runtime configuration these options describe.
    func configuration(endpoint: String) throws -> WorkerConfiguration {
        let pid = Int(getpid())
        let host = WorkerConfiguration.hostName()
        let seed = UInt64(DispatchTime.now().uptimeNanoseconds) ^ UInt64(pid) << 32
        var rng = Xoshiro256(seed: seed)
        var c = WorkerConfiguration(
            endpoint: endpoint, slots: slots ?? WorkerConfiguration.defaultSlots(),
            workerID: id ?? WorkerConfiguration.defaultWorkerID(host: host, pid: pid, rng: &rng),
            host: host, pid: pid, heartbeatMs: heartbeatMs, liveness: liveness)
        c.seed = rng.next()
        if let serverKey = curveServerKey {
            var keys = try CurveKeys.generate()
            if let path = curveSecretFile {
                let secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                keys = CurveKeys(publicKey: try CurveKeys.publicKey(forSecret: secret), secretKey: secret)
            }
            c.curve = .init(serverKey: serverKey, keys: keys)
        }
        return c
    }
}

enum ServeCommand {
    /// Serves the coordinator until SIGTERM/SIGINT (hands back unfinished jobs, exits 0)
    /// or until the coordinator releases the worker.
    static func serve(_ options: ServeOptions) throws {
        guard let endpoint = options.connect else { throw ValidationError("give --connect ENDPOINT, or a subcommand (see --help)") }
        let config = try options.configuration(endpoint: endpoint)
        let log = stderrLogger(prefix: "urnn-worker \(config.workerID)")
        let exit = try withExtendedLifetime(try ZMQContext()) { context in
            let runtime = try WorkerRuntime(config: config, context: context, log: log)
            // Weak: the runtime (and with it the context) must die when this closure ends,
            // so the context's termination flushes DISCONNECT before the process exits.
            let sources = stopOnSignals([SIGTERM, SIGINT]) { [weak runtime] name in runtime?.requestStop(name) }
            defer { sources.forEach { $0.cancel() } }
            return try runtime.run()
        }
        // The context is gone here: its termination waited for DISCONNECT to flush.
        log("exiting: \(exit)")
    }

    /// Turns the signals into calls of `handler` on a dispatch queue (the default action
    /// is disabled, so the process is not killed and no syscall sees EINTR).
    static func stopOnSignals(_ signals: [Int32], _ handler: @escaping @Sendable (String) -> Void) -> [DispatchSourceSignal] {
        signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            let name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal \(sig)"
            source.setEventHandler { handler(name) }
            source.resume()
            return source
        }
    }

    /// One line per call to stderr, with a UTC timestamp, written at once (unbuffered).
    static func stderrLogger(prefix: String) -> @Sendable (String) -> Void {
        { line in
            let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            FileHandle.standardError.write(Data("\(stamp) \(prefix): \(line)\n".utf8))
        }
    }
}
