import ArgumentParser
import CProcess
import Foundation
import Shared

/// Options of the serving mode: `urnn-worker --connect tcp://HOST:5555 [--slots N] ...`.
struct ServeOptions: ParsableArguments {
    @Option(help: "Coordinator endpoint, e.g. tcp://127.0.0.1:5555.") var connect: String?
    @Option(parsing: .unconditional, help: "Jobs run at once (default: the machine's cores).") var slots: Int?
    @Option(help: "Unique worker id, also its ZeroMQ routing id (default: HOST-PID-RANDOM).") var id: String?
    @Option(parsing: .unconditional, help: "Heartbeat interval in ms until the coordinator's WELCOME sets it.") var heartbeatMs: Int = 1000
    @Option(parsing: .unconditional, help: "Silent heartbeat intervals before the coordinator is presumed dead.") var liveness: Int = 4
    @Option(parsing: .unconditional,
            help: "Exit (status 0) after this many seconds without a coordinator session and without a job (default: never).")
    var exitWhenIdle: Double?
    @Option(help: "The coordinator's CURVE public key (Z85, 40 characters); enables encryption.") var curveServerKey: String?
    @Option(help: "File holding this worker's CURVE secret key (Z85); default: a fresh key pair per run.") var curveSecretFile: String?
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Die with this parent process (set by `urnn-coordinator run --local-workers`).", visibility: .hidden))
    var parentPid: Int32?

    @Option(help: "Directory for checkpoints of running pmnist jobs (one file per job id, rewritten after every epoch); a job restarted on a worker with the same directory resumes where it stopped. Default: no checkpoints.")
    var checkpointDir: String?

    func validate() throws {
        let problems = [
            slots.flatMap { Bounds.violation($0, in: Bounds.slots, option: "--slots") },
            Bounds.violation(heartbeatMs, in: Bounds.heartbeatMs, option: "--heartbeat-ms"),
            Bounds.violation(liveness, in: Bounds.workerLiveness, option: "--liveness"),
            exitWhenIdle.flatMap { Bounds.violation($0, in: Bounds.idleExitSeconds, option: "--exit-when-idle") },
            parentPid.flatMap { Bounds.violation($0, in: 1...Int32.max, option: "--parent-pid") },
        ].compactMap { $0 }
        if let first = problems.first { throw ValidationError(first) }
        if let c = connect { _ = try endpoint(c) }
        if let i = id, !(1...255).contains(i.utf8.count) { throw ValidationError("--id must be 1-255 bytes") }
        if curveSecretFile != nil && curveServerKey == nil { throw ValidationError("--curve-secret-file needs --curve-server-key") }
        if let d = checkpointDir { try CheckpointOption.validate(d) }
    }

    /// `--connect` checked: a port in 1...65535, a host that resolves.
    func endpoint(_ text: String) throws -> Endpoint {
        do { return try Endpoint.parse(text, for: .connect) } catch { throw ValidationError(error.description) }
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
        c.idleExitSeconds = exitWhenIdle
        c.ipv6 = try self.endpoint(endpoint).needsIPv6
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
        // Block the stop signals before any thread exists (the ZeroMQ I/O thread and job
        // threads inherit the mask), so one arriving at any later moment stays pending until
        // the waiter thread takes it: never lost, never the default kill.
        let stopSignals: [Int32] = [SIGTERM, SIGINT]
        blockSignals(stopSignals)
        let config = try options.configuration(endpoint: endpoint)
        let log = stderrLogger(prefix: "urnn-worker \(config.workerID)")
        if let parent = options.parentPid { try dieWithParent(parent, log: log) }
        let exit = try withExtendedLifetime(try ZMQContext()) { context in
            // One dataset cache per process: every job slot shares one copy of a dataset.
            let jobContext = JobContext(datasets: DatasetCache(), checkpointDirectory: options.checkpointDir)
            let runtime = try WorkerRuntime(config: config, context: context,
                                            execute: { spec, cancellation, progress in
                                                var context = jobContext
                                                context.cancellation = cancellation
                                                return try JobExecutor.run(spec, context: context, progress: progress)
                                            },
                                            log: log)
            // Weak: the runtime (and with it the context) must die when this closure ends,
            // so the context's termination flushes DISCONNECT before the process exits.
            startSignalWaiter(stopSignals) { [weak runtime] name in runtime?.requestStop(name) }
            return try runtime.run()
        }
        // The context is gone here: its termination waited for DISCONNECT to flush.
        log("exiting: \(exit)")
    }

    /// A local worker dies with the coordinator that started it, however it dies: the kernel
    /// sends SIGTERM (blocked, so it reaches the signal waiter and the worker stops as on any
    /// SIGTERM) when the parent ends. The parent may have died before the request was made, so
    /// the parent pid is checked after it: a worker already orphaned exits at once.
    static func dieWithParent(_ parent: Int32, log: (String) -> Void) throws {
        if urnn_set_parent_death_signal(SIGTERM) != 0 {
            log("cannot ask to die with the coordinator (pid \(parent)): \(String(cString: strerror(errno)))")
        }
        guard getppid() == parent else {
            log("the coordinator that started this worker (pid \(parent)) is gone; exiting")
            throw WorkerError.orphaned(parent: parent)
        }
    }

    static func blockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// A thread that takes the (blocked) `signals` with `sigwait` and calls `handler` with
    /// the signal's name, for as long as the process lives.
    static func startSignalWaiter(_ signals: [Int32], _ handler: @escaping @Sendable (String) -> Void) {
        let t = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            for s in signals { sigaddset(&set, s) }
            while true {
                var sig: Int32 = 0
                guard sigwait(&set, &sig) == 0 else { continue }
                handler(sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal \(sig)")
            }
        }
        t.name = "signals"
        t.start()
    }

    /// One line per call to stderr, with a UTC timestamp, written at once (unbuffered).
    static func stderrLogger(prefix: String) -> @Sendable (String) -> Void {
        { line in
            let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
            FileHandle.standardError.write(Data("\(stamp) \(prefix): \(line)\n".utf8))
        }
    }
}
