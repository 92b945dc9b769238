import ArgumentParser
import Foundation
import Logging
import Shared

/// `urnn-coordinator run SWEEP --store results/NAME.sqlite --bind tcp://127.0.0.1:5555 [--local-workers N]`
///
/// Runs a sweep to the end. Running it again on the same store resumes: finished jobs are
/// never run again, leased ones go back to the queue. Every number is bounded (`Bounds`) and
/// checked before anything starts; local workers never outlive this process (`LocalWorkers`).
struct RunSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep: serve its jobs to workers, store every result, write the report.")

    @Argument(help: "A sweep file (YAML) or a preset name (see `plan --help`).")
    var sweep: String

    @Option(help: "The SQLite results store (default: results/SWEEP-NAME.sqlite).")
    var store: String?

    @Option(help: ArgumentHelp("Endpoint the coordinator binds (default: tcp://127.0.0.1:5555; with --local-workers, "
                               + "a free loopback port). Non-loopback needs CURVE keys or --insecure.", valueName: "endpoint"))
    var bind: String?

    @Option(parsing: .unconditional,
            help: "Start this many local worker processes on loopback (at most 4 per core; see --allow-many-local-workers).")
    var localWorkers = 0

    @Flag(help: "Allow more than 4 local workers per core (up to \(Bounds.localWorkersHardLimit)).")
    var allowManyLocalWorkers = false

    @Option(parsing: .unconditional, help: "Slots of each local worker (default: cores / local workers, at least 1).")
    var workerSlots: Int?

    @Option(parsing: .unconditional, help: "Heartbeat interval in milliseconds.")
    var heartbeatMs = 1000

    @Option(parsing: .unconditional, help: "Silent heartbeat intervals before a worker is declared dead (3 to 5).")
    var liveness = 3

    @Option(parsing: .unconditional, help: "Failed attempts before a job is marked failed.")
    var maxAttempts = 3

    @Option(help: "Report folder, refreshed while the sweep runs (default: results/SWEEP-NAME-report).")
    var report: String?

    @Option(parsing: .unconditional, help: "Seconds between report refreshes while running.")
    var reportEvery = 60.0

    @Option(help: "File holding this coordinator's CURVE secret key (Z85, 40 chars); enables encryption.")
    var curveSecretFile: String?

    @Option(help: "File of worker CURVE public keys (Z85, one per line) to admit; default: any worker knowing the server key.")
    var curveAllowedClients: String?

    @Flag(help: "Allow a non-loopback bind without CURVE keys.")
    var insecure = false

    @Flag(help: "Keep serving after the last job finishes (until SIGINT/SIGTERM).")
    var stay = false

    @OptionGroup var web: WebOptions

    @Flag(help: "Show local workers' output here instead of in a log file per worker beside the store.")
    var verbose = false

    func validate() throws {
        let cores = Bounds.cores
        let limit = allowManyLocalWorkers ? Bounds.localWorkersHardLimit : Bounds.localWorkerLimit(cores: cores)
        let hint = allowManyLocalWorkers ? "" : " (4 per core on this machine's \(cores) cores; "
            + "--allow-many-local-workers allows up to \(Bounds.localWorkersHardLimit))"
        let problems = [
            Bounds.violation(localWorkers, in: 0...limit, option: "--local-workers", hint: hint),
            workerSlots.flatMap { Bounds.violation($0, in: Bounds.slots, option: "--worker-slots") },
            Bounds.violation(heartbeatMs, in: Bounds.heartbeatMs, option: "--heartbeat-ms"),
            Bounds.violation(liveness, in: Bounds.liveness, option: "--liveness", hint: " (3 to 5 is sensible)"),
            Bounds.violation(maxAttempts, in: Bounds.maxAttempts, option: "--max-attempts"),
            Bounds.violation(reportEvery, in: Bounds.reportEverySeconds, option: "--report-every"),
        ].compactMap { $0 }
        if let first = problems.first { throw ValidationError(first) }
        _ = try bindEndpoint()
        _ = try web.resolved(default: nil)
    }

    /// `--bind` checked and resolved (Endpoint); local mode without --bind needs no fixed port.
    func bindEndpoint() throws -> Endpoint {
        let text = bind ?? (localWorkers > 0 ? "tcp://127.0.0.1:*" : "tcp://127.0.0.1:5555")
        do { return try Endpoint.parse(text, for: .bind) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let logger = makeLogger("coordinator")
        let sweepDef: Sweep
        do { sweepDef = try SweepFile.load(pathOrPresetName: sweep) } catch {
            throw ValidationError("\(error)")
        }
        let storePath = store ?? "results/\(sweepDef.name).sqlite"
        let reportDir = report ?? "results/\(sweepDef.name)-report"
        var config = try serverConfiguration()
        config.jobTimeout = sweepDef.timeout
        config.timeoutRetries = sweepDef.timeoutRetries
        // One coordinator per store, held until this process ends (StoreLock).
        let (lock, db) = try Self.openStore(storePath, for: sweepDef, logger: logger)
        defer { withExtendedLifetime(lock) {} }
        let server = try CoordinatorServer(configuration: config, store: db, logger: logger)
        logger.info("listening on \(server.endpoint), session \(server.sessionID)")
        if let keys = config.curve { logger.info("CURVE on; workers need --curve-server-key \(keys.publicKey)") }

        let stop = StopFlag()
        stop.install()
        // The web view (--http, docs/WEB.md): served beside the loop, fed after each round.
        let webHook = try web.resolved(default: nil).map { try WebHook(options: $0, storePath: storePath, logger: logger) }
        defer { webHook?.stop() }
        // Local workers end with this process: stopped here on every way out of `run` (errors
        // included), and by the kernel when it dies otherwise (the worker's --parent-pid).
        let locals = LocalWorkers()
        defer { locals.stop() }
        try startLocalWorkers(locals, server: server, storePath: storePath, logger: logger)

        let reporter = ReportRefresher(storePath: storePath, outDir: reportDir, logger: logger)
        try serve(server, store: db, reporter: reporter, web: webHook, until: stop, logger: logger)
        try shutdown(server, store: db, locals: locals, reporter: reporter, web: webHook, stopped: stop.isSet, logger: logger)
        if stop.isSet { throw ExitCode(130) }
    }

    /// The server's settings from the options: bind endpoint and its policy, CURVE keys and the
    /// worker whitelist, heartbeat, liveness and retries.
    func serverConfiguration() throws -> CoordinatorServer.Configuration {
        var curve: CurveKeys?
        if let f = curveSecretFile {
            let secret = try String(contentsOfFile: f, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            curve = CurveKeys(publicKey: try CurveKeys.publicKey(forSecret: secret), secretKey: secret)
        }
        let bind = try bindEndpoint()
        do { try BindPolicy.check(endpoint: bind, hasCurveKeys: curve != nil, insecure: insecure) } catch {
            throw ValidationError("\(error)")
        }
        var config = CoordinatorServer.Configuration(bind: bind.text)
        config.ipv6 = bind.needsIPv6
        config.heartbeatInterval = Double(heartbeatMs) / 1000
        config.liveness = liveness
        config.maxAttempts = maxAttempts
        config.curve = curve
        if let f = curveAllowedClients {
            let keys = try String(contentsOfFile: f, encoding: .utf8).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            config.allowedClientKeys = Set(keys)
        }
        return config
    }

    /// Takes the store's lock, opens (or creates) the store, refuses a damaged one, and adds the
    /// sweep's jobs (insert-or-ignore: a second run adds nothing).
    static func openStore(_ path: String, for sweep: Sweep, logger: Logger) throws -> (StoreLock, Store) {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        let lock = try StoreLock(storePath: path)
        let db = try Store(path: path)
        // A damaged store is refused before anything runs on it, with the way out.
        try db.requireWhole()
        warnIfMixing(sweep, in: db, logger: logger)
        let added = try db.addJobs(sweep.jobs, sweepName: sweep.name, definition: sweep.definitionText)
        logger.info("sweep \(sweep.name): \(sweep.jobs.count) jobs (\(added) new) in \(path)")
        return (lock, db)
    }

    /// `--local-workers` processes on the server's loopback endpoint; their output goes to a log
    /// file each beside the store unless `--verbose`.
    func startLocalWorkers(_ locals: LocalWorkers, server: CoordinatorServer, storePath: String, logger: Logger) throws {
        guard localWorkers > 0 else { return }
        let slots = workerSlots ?? max(1, ProcessInfo.processInfo.activeProcessorCount / localWorkers)
        let endpoint = server.endpoint.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        try locals.start(count: localWorkers, endpoint: endpoint, slots: slots,
                         extraArguments: ["--heartbeat-ms", String(heartbeatMs)], logBeside: verbose ? nil : storePath)
        let pids = locals.processes.map { String($0.processIdentifier) }.joined(separator: ", ")
        let logs = verbose ? "" : "; their output goes to \(LocalWorkers.logPath(beside: storePath, index: 0)) and on"
        logger.info("started \(localWorkers) local workers with \(slots) slots each (pids \(pids))\(logs)")
    }

    /// Rounds until the sweep is over (or a signal), with the progress line, the status row
    /// for `status` and the report refreshed on `RunClock`'s schedule.
    func serve(_ server: CoordinatorServer, store db: Store, reporter: ReportRefresher, web webHook: WebHook?,
               until stop: StopFlag, logger: Logger) throws {
        let divergedBefore = (try? db.counts().diverged) ?? 0
        var printer = ProgressPrinter()
        var rate = RateMeter()
        var clock = RunClock(start: MonotonicTime.seconds(), reportEvery: reportEvery, stay: stay)
        while !stop.isSet {
            let roundStart = MonotonicTime.seconds()
            try server.round(timeout: 0.05)
            let now = MonotonicTime.seconds()
            let p = server.progress
            rate.record(now: now, finished: p.done + p.failed)
            let snap = ProgressSnapshot(total: p.total, done: p.done, running: p.running, pending: p.pending,
                                        failed: p.failed, diverged: divergedBefore + server.stats.divergedCommitted,
                                        workersAlive: p.workersAlive, jobsPerMinute: rate.perMinute,
                                        cancelled: p.cancelled, paused: p.paused)
            printer.show(snap, now: now)
            webHook?.afterRound(server, seconds: now - roundStart, jobsPerMinute: rate.perMinute, diverged: snap.diverged)
            let due = clock.after(round: p, now: now)
            if due.status {
                try? db.writeStatus(CoordinatorStatus(pid: Int(getpid()), endpoint: server.endpoint,
                                                      sessionID: server.sessionID, workersAlive: p.workersAlive,
                                                      running: p.running, jobsPerMinute: rate.perMinute,
                                                      updatedAt: Date().timeIntervalSince1970, finished: p.isFinished))
            }
            if due.report { reporter.refresh() }
            if due.finishedNow {
                printer.show(snap, now: now, force: true)
                logger.info("sweep finished: \(p.done) done, \(p.failed) failed in \(String(format: "%.1f", now - clock.start)) s")
            }
            if due.stop { break }
        }
    }

    /// Says goodbye to the workers, takes their hand-backs, stops local workers, writes the
    /// final status and the report, and prints the results table.
    func shutdown(_ server: CoordinatorServer, store db: Store, locals: LocalWorkers, reporter: ReportRefresher,
                  web webHook: WebHook?, stopped: Bool, logger: Logger) throws {
        if stopped { logger.info("stopping on signal; unfinished jobs stay queued in the store") }
        server.disconnectAll(reason: stopped ? "coordinator stopping" : "sweep finished")
        _ = try? server.round(timeout: 0.1) // take hand-backs that arrive at once
        locals.stop()
        webHook?.afterRound(server, seconds: 0, jobsPerMinute: nil,
                            diverged: (try? db.counts().diverged) ?? server.stats.divergedCommitted, stopped: true)
        try? db.writeStatus(CoordinatorStatus(pid: Int(getpid()), endpoint: server.endpoint, sessionID: server.sessionID,
                                              workersAlive: 0, running: 0, jobsPerMinute: nil,
                                              updatedAt: Date().timeIntervalSince1970, finished: server.progress.isFinished,
                                              stopped: true))
        // The final report is part of the result: if it cannot be written, the run fails.
        let reportError: Error?
        do { try reporter.write(); reportError = nil } catch { reportError = error }
        let s = server.stats
        logger.info("messages \(s.messagesIn), results \(s.resultsCommitted), duplicates \(s.duplicates), late \(s.lateResults), refused \(s.refusedResults), malformed \(s.malformed), workers lost \(s.workersDead)")
        // The results table, so a finished run shows what it found without opening a file.
        if let md = try? String(contentsOfFile: reporter.outDir + "/summary.md", encoding: .utf8) {
            let table = md.split(separator: "\n").filter { $0.hasPrefix("|") || $0.hasPrefix("## ") || $0.hasPrefix("Optimal") }
            if table.contains(where: { $0.hasPrefix("|") }) { print(table.joined(separator: "\n")) }
        }
        if let e = reportError {
            throw CoordinatorError.setup("the report into \(reporter.outDir) failed: \(e)")
        }
        print("report: \(reporter.outDir)")
    }
}

/// A report pools every result of its store: say so when this run adds a second sweep, or
/// another grid under the same sweep name (docs/SWEEPS.md, "One store, one sweep").
func warnIfMixing(_ sweep: Sweep, in store: Store, logger: Logger) {
    guard let recorded = try? store.sweeps() else { return }
    let others = recorded.map(\.name).filter { $0 != sweep.name }
    if !others.isEmpty {
        let text = "store \(store.path) already holds sweep(s) \(others.joined(separator: ", ")): its report will pool "
            + "their results with \(sweep.name)'s; use another --store to keep them apart"
        logger.warning("\(text)")
    }
    if let same = recorded.first(where: { $0.name == sweep.name }), same.definition != sweep.definitionText {
        let text = "sweep \(sweep.name) in \(store.path) was recorded with another definition: the jobs of both "
            + "stay in the store and its report pools them; use another --store for a different grid"
        logger.warning("\(text)")
    }
}

/// Writes the report from the store: `refresh` while the sweep runs (errors logged, never
/// fatal to the sweep), `write` at the end (errors thrown: the run fails).
struct ReportRefresher {
    let storePath: String
    let outDir: String
    let logger: Logger

    func refresh() {
        do { try write() } catch { logger.warning("report refresh failed: \(error)") }
    }

    func write() throws {
        let records = try loadRecords(storePath: storePath)
        let files = try Report.write(records: records, sweeps: try storedSweeps(storePath: storePath),
                                     to: URL(fileURLWithPath: outDir))
        logger.debug("report refreshed: \(files.count) files in \(outDir)")
    }
}

/// Set by SIGINT/SIGTERM; polled by the loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []

    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }

    func set() { lock.lock(); flag = true; lock.unlock() }

    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in self?.set() }
            s.resume()
            sources.append(s)
        }
    }
}

/// A logger writing to stderr (stdout carries progress and machine-readable output).
func makeLogger(_ label: String) -> Logger {
    var l = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    let level = ProcessInfo.processInfo.environment["URNN_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    l.logLevel = level
    return l
}
