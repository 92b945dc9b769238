import ArgumentParser
import Foundation
import Logging
import Shared

/// `urnn-bench coordinator [--jobs 20000] [--workers 50] [--slots 4] [--idle 1000]
/// [--idle-seconds 10] [--store PATH] [--processes]`
///
/// Phase 1 (throughput): `--jobs` noop jobs through `--workers` workers on loopback, every
/// result committed with `synchronous = FULL` before its ACK. Phase 2 (idle): `--idle` workers
/// connect and heartbeat for `--idle-seconds`; none may be declared dead. See docs/BENCHMARKS.md.
///
/// It ships in `urnn-bench`, not in `urnn-coordinator`: the harness drives a real
/// `CoordinatorServer` in its own process (its loop thread's CPU is one of the figures), so its
/// code lives in the Coordinator library, which `urnn-bench` links; only this command is public.
public struct CoordinatorBenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Benchmark the coordinator: noop job round trips per second, and many idle workers heartbeating.")

    @Option(parsing: .unconditional, help: "Noop jobs in the throughput phase (0 skips it).")
    var jobs = 20_000

    @Option(parsing: .unconditional, help: "Workers in the throughput phase.")
    var workers = 50

    @Option(parsing: .unconditional, help: "Slots per worker in the throughput phase.")
    var slots = 4

    @Option(parsing: .unconditional, help: "Threads carrying the in-process workers.")
    var workerThreads = 2

    @Option(parsing: .unconditional, help: "Noop jobs in the latency phase: 1 worker with 1 slot, one job at a time (0 skips it).")
    var latencyJobs = 300

    @Option(parsing: .unconditional, help: "Idle workers in the heartbeat phase (0 skips it).")
    var idle = 1000

    @Option(parsing: .unconditional, help: "Seconds the idle workers heartbeat.")
    var idleSeconds = 10.0

    @Option(parsing: .unconditional, help: "Heartbeat interval in milliseconds (both phases).")
    var heartbeatMs = 1000

    @Option(help: "SQLite file for the throughput phase; must not exist, and is kept (default: a temporary file, removed).")
    var store: String?

    @Option(help: "SQLite synchronous mode of the store's writer: full (fsync per commit: survives power loss) or normal.")
    var sync = "full"

    @Flag(help: "Run the throughput phase's workers as real urnn-worker processes (found next to this binary).")
    var processes = false

    @Flag(help: "Log the coordinator's info lines (one per worker hello) to stderr.")
    var verbose = false

    public init() {}

    public func validate() throws {
        // --processes forks one urnn-worker per --workers: bounded like run --local-workers.
        let maxWorkers = processes ? Bounds.localWorkerLimit() : 10_000
        let problems = [
            Bounds.violation(jobs, in: 0...10_000_000, option: "--jobs"),
            Bounds.violation(workers, in: 1...maxWorkers, option: "--workers",
                             hint: processes ? " (real processes with --processes: 4 per core)" : ""),
            Bounds.violation(slots, in: Bounds.slots, option: "--slots"),
            Bounds.violation(workerThreads, in: 1...256, option: "--worker-threads"),
            Bounds.violation(latencyJobs, in: 0...1_000_000, option: "--latency-jobs"),
            Bounds.violation(idle, in: 0...10_000, option: "--idle"),
            Bounds.violation(idleSeconds, in: 0.1...3600, option: "--idle-seconds"),
            Bounds.violation(heartbeatMs, in: Bounds.heartbeatMs, option: "--heartbeat-ms"),
        ].compactMap { $0 }
        if let first = problems.first { throw ValidationError(first) }
        guard durability != nil else { throw ValidationError("--sync must be full or normal") }
        if let s = store, FileManager.default.fileExists(atPath: s) { throw ValidationError("--store \(s) exists; give a new path") }
    }

    var durability: Store.Durability? { Store.Durability(rawValue: sync.uppercased()) }

    public func run() throws {
        var logger = Logger(label: "bench") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .info : .warning
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("urnn-bench-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let interval = Double(heartbeatMs) / 1000
        var ok = true
        print("urnn-bench coordinator: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(BenchReport.loadAverage())")

        let plain = try Store(path: tmp.appendingPathComponent("probe.sqlite").path, durability: .full)
        print("note: Store(durability: .full) alone runs with PRAGMA synchronous = \(try BenchStore.synchronous(of: plain)) (2 = FULL, 1 = NORMAL); the bench sets it to \(sync.uppercased()) on its writer and reads it back")
        if jobs > 0 {
            let path = store ?? tmp.appendingPathComponent("throughput.sqlite").path
            let mode: CoordinatorBench.WorkerMode = processes ? .processes : .threads(workerThreads)
            print("throughput: \(jobs) noop jobs, \(workers) workers x \(slots) slots (\(processes ? "processes" : "\(workerThreads) worker threads")), store \(path)")
            let r = try CoordinatorBench.throughput(jobs: jobs, workers: workers, slots: slots, storePath: path,
                                                    mode: mode, sync: durability!, heartbeatInterval: interval, logger: logger)
            print(BenchReport.throughput(r))
            ok = ok && r.storedResults == jobs && r.distinctStoredJobs == jobs && r.wrongResults == 0 && r.stats.workersDead == 0
        }
        if latencyJobs > 0 {
            print("latency: \(latencyJobs) noop jobs, 1 worker x 1 slot, one job in flight")
            let r = try CoordinatorBench.throughput(jobs: latencyJobs, workers: 1, slots: 1,
                                                    storePath: tmp.appendingPathComponent("latency.sqlite").path,
                                                    mode: .threads(1), sync: durability!, heartbeatInterval: interval, logger: logger)
            print(BenchReport.latency(r))
            ok = ok && r.storedResults == latencyJobs && r.distinctStoredJobs == latencyJobs && r.wrongResults == 0
        }
        if idle > 0 {
            try FileLimits.raise(atLeast: UInt64(idle) * 4 + 256)
            print("idle: \(idle) workers heartbeating every \(heartbeatMs) ms for \(idleSeconds) s (\(workerThreads) worker threads)")
            let r = try CoordinatorBench.idle(workers: idle, seconds: idleSeconds, storePath: tmp.appendingPathComponent("idle.sqlite").path,
                                              threads: workerThreads, heartbeatInterval: interval, logger: logger)
            print(BenchReport.idle(r))
            ok = ok && r.stats.workersDead == 0 && r.aliveAtEnd == idle
        }
        if !ok {
            print("FAILED: a check above did not hold")
            throw ExitCode(1)
        }
    }
}

/// Raising the open-file limit for a thousand sockets (each needs 2 to 3 descriptors).
enum FileLimits {
    static func raise(atLeast wanted: UInt64) throws {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return }
        guard UInt64(lim.rlim_cur) < wanted else { return }
        guard UInt64(lim.rlim_max) >= wanted else {
            throw CoordinatorError.setup("need \(wanted) open files, hard limit is \(lim.rlim_max) (ulimit -Hn)")
        }
        lim.rlim_cur = rlim_t(wanted)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else {
            throw CoordinatorError.setup("setrlimit(RLIMIT_NOFILE, \(wanted)) failed: errno \(errno)")
        }
    }
}

/// Text of the figures.
enum BenchReport {
    static func throughput(_ r: CoordinatorBench.ThroughputResult) -> String {
        let rounds = Percentiles(r.busyRounds)
        let acks = Percentiles(r.workerCounts.resultToAck)
        let w = r.workerCounts
        return """
          store: PRAGMA synchronous = \(r.synchronous) during the run (2 = FULL, 1 = NORMAL)
          jobs/s (first assign to last commit): \(f(r.jobsPerSecond, 0))  (\(r.jobs) jobs in \(f(r.seconds, 2)) s)
          stored results (read back from file): \(r.storedResults), distinct jobs \(r.distinctStoredJobs), wrong outcome \(r.wrongResults)
          coordinator CPU per job: \(f(r.coordinatorCPUPerJob * 1000, 3)) ms  (loop thread \(f(r.loopCPU, 2)) s + libzmq threads \(f(r.zmqCPU, 2)) s)
          time in round() per job: \(f(r.roundSecondsPerJob * 1000, 3)) ms
          busy rounds: \(r.busyRounds.count) of \(r.rounds), jobs per busy round \(f(Double(r.jobs) / Double(max(1, r.busyRounds.count)), 1)), round wall time p50 \(ms(rounds.p50)) p99 \(ms(rounds.p99)) max \(ms(rounds.max))
          result->ack at the worker: \(w.resultToAck.isEmpty ? "not measured with real worker processes" : "p50 \(ms(acks.p50)) p99 \(ms(acks.p99))")
          coordinator: messages \(r.stats.messagesIn), committed \(r.stats.resultsCommitted), duplicates \(r.stats.duplicates), late \(r.stats.lateResults), requeued \(r.stats.requeued), workers dead \(r.stats.workersDead)
        """ + (w.welcomed > 0 ? "\n  workers: welcomed \(w.welcomed), assigns \(w.assigns), acks \(w.acks), duplicate assigns \(w.duplicateAssigns), errors \(w.errors), coordinator silences \(w.coordinatorSilences)" : "")
    }

    /// One job in flight: the time per job is the whole coordinator round trip a worker slot
    /// waits between finishing a job and starting the next (RESULT in, commit, ACK + ASSIGN out).
    static func latency(_ r: CoordinatorBench.ThroughputResult) -> String {
        let acks = Percentiles(r.workerCounts.resultToAck)
        return """
          store: PRAGMA synchronous = \(r.synchronous)
          slot turnaround per job (RESULT sent to next ASSIGN received, mean): \(f(r.seconds / Double(max(1, r.jobs)) * 1000, 2)) ms  (\(f(r.jobsPerSecond, 0)) jobs/s)
          result->ack at the worker: p50 \(ms(acks.p50)) p99 \(ms(acks.p99))
          coordinator CPU per job: \(f(r.coordinatorCPUPerJob * 1000, 3)) ms; stored \(r.storedResults), distinct \(r.distinctStoredJobs)
        """
    }

    static func idle(_ r: CoordinatorBench.IdleResult) -> String {
        let rounds = Percentiles(r.busyRounds)
        let w = r.workerCounts
        return """
          workers declared dead by the coordinator: \(r.stats.workersDead)  (alive at end \(r.aliveAtEnd) of \(r.workers), max \(r.maxAlive))
          all \(r.workers) welcomed after: \(r.allConnectedAfter.map { f($0, 2) + " s" } ?? "never")
          messages in \(r.stats.messagesIn) (\(f(Double(r.stats.messagesIn) / r.seconds, 0))/s), busy round p50 \(ms(rounds.p50)) p99 \(ms(rounds.p99)) max \(ms(rounds.max))
          coordinator CPU: loop \(f(r.loopCPU, 2)) s + libzmq \(f(r.zmqCPU, 2)) s over \(f(r.seconds, 1)) s (\(f((r.loopCPU + r.zmqCPU) / r.seconds * 100, 1))% of a core)
          workers: welcomed \(w.welcomed), errors \(w.errors), coordinator silences seen by workers \(w.coordinatorSilences)
        """
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    static func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
    static func ms(_ s: Double) -> String { f(s * 1000, 2) + " ms" }
}

/// Order statistics of a sample (nearest rank).
struct Percentiles {
    var p50 = 0.0, p99 = 0.0, max = 0.0
    init(_ xs: [Double]) {
        guard !xs.isEmpty else { return }
        let s = xs.sorted()
        func at(_ q: Double) -> Double { s[Swift.max(0, Swift.min(s.count - 1, Int((q * Double(s.count)).rounded(.up)) - 1))] }
        p50 = at(0.5); p99 = at(0.99); max = s[s.count - 1]
    }
}
