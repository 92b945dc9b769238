import Foundation
import Logging
import Shared

/// The coordinator benchmark: a real `CoordinatorServer` (ROUTER on TCP loopback, SQLite store
/// with `synchronous = FULL`) driven on the calling thread, against noop workers.
///
/// Figures (see docs/BENCHMARKS.md):
/// - throughput = jobs / (time of the last commit - time of the first assignment), jobs/s;
/// - coordinator CPU per job = (CPU of the loop thread + CPU of the coordinator's libzmq
///   threads) / jobs, the coordinator's cost of one job;
/// - round times: wall time of each `round()` that handled messages, p50/p99;
/// - stored: results read back from the store file by a fresh `Store` after the run.
enum CoordinatorBench {
    /// Where the workers run.
    enum WorkerMode: Sendable, Equatable {
        /// Lightweight workers on `threads` threads in this process (`NoopWorkerPool`).
        case threads(Int)
        /// Real `urnn-worker` processes (their logs go to /dev/null).
        case processes
    }

    struct ThroughputResult: Sendable {
        var jobs = 0, workers = 0, slots = 0
        /// The writer connection's `PRAGMA synchronous` during the run, read back (2 = FULL, 1 = NORMAL).
        var synchronous = 0
        /// First assignment to last commit, seconds.
        var seconds = 0.0
        var jobsPerSecond: Double { seconds > 0 ? Double(jobs) / seconds : 0 }
        var rounds = 0
        /// Rounds that handled at least one message, and their wall times (seconds).
        var busyRounds: [Double] = []
        /// CPU seconds of the loop thread during the run, and of the coordinator's libzmq threads.
        var loopCPU = 0.0, zmqCPU = 0.0
        var coordinatorCPUPerJob: Double { jobs > 0 ? (loopCPU + zmqCPU) / Double(jobs) : 0 }
        /// Total wall time inside `round()` during the run, per job.
        var roundSecondsPerJob: Double { jobs > 0 ? busyRounds.reduce(0, +) / Double(jobs) : 0 }
        /// Read back from the store file after the run.
        var storedResults = 0, distinctStoredJobs = 0, wrongResults = 0
        var stats = CoordinatorServer.Stats()
        var workerCounts = NoopWorkerPool.Counts()
    }

    struct IdleResult: Sendable {
        var workers = 0
        var seconds = 0.0
        var heartbeatInterval = 0.0
        /// Workers the coordinator counted alive at the end, and the most at any time.
        var aliveAtEnd = 0, maxAlive = 0
        /// Seconds until every worker was welcomed (nil: never).
        var allConnectedAfter: Double?
        var stats = CoordinatorServer.Stats()
        var workerCounts = NoopWorkerPool.Counts()
        var busyRounds: [Double] = []
        var loopCPU = 0.0, zmqCPU = 0.0
    }

    /// Runs `jobs` noop jobs through `workers` workers of `slots` slots on a fresh store at `storePath`.
    static func throughput(jobs: Int, workers: Int, slots: Int, storePath: String, mode: WorkerMode,
                           sync: Store.Durability = .full, heartbeatInterval: Double = 1, timeout: Double? = nil, logger: Logger) throws -> ThroughputResult {
        let specs = (0..<jobs).map { JobSpec(noop: NoopSpec(token: $0)) }
        let store = try Store(path: storePath, durability: .full)
        var r = ThroughputResult(jobs: jobs, workers: workers, slots: slots)
        r.synchronous = try BenchStore.setSynchronous(sync, on: store)
        try store.addJobs(specs, sweepName: "noop-bench", definition: "noop-bench: \(jobs) noop jobs (urnn-bench coordinator)")
        var cfg = CoordinatorServer.Configuration(bind: "tcp://127.0.0.1:*")
        cfg.heartbeatInterval = heartbeatInterval
        let threadsBefore = ThreadCPU.threads()
        let server = try CoordinatorServer(configuration: cfg, store: store, logger: logger)
        let zmqThreads = ThreadCPU.threads().subtracting(threadsBefore)

        let pool: NoopWorkerPool?
        let procs = BenchProcesses()
        switch mode {
        case .threads(let n):
            pool = try NoopWorkerPool(endpoint: server.endpoint, workers: workers, slots: slots, threads: n,
                                      heartbeatInterval: heartbeatInterval)
            pool!.start()
        case .processes:
            pool = nil
            try procs.start(count: workers, endpoint: server.endpoint, slots: slots,
                            heartbeatMs: Int(heartbeatInterval * 1000))
        }
        defer { procs.stop() }

        let limit = timeout ?? (60 + Double(jobs) / 200)
        let began = MonotonicTime.seconds()
        var firstAssign: Double?
        var cpu0 = (loop: 0.0, zmq: 0.0)
        while server.progress.done + server.progress.failed < jobs {
            let before = server.stats.messagesIn
            let t0 = MonotonicTime.seconds()
            try server.round(timeout: 0.05)
            let t1 = MonotonicTime.seconds()
            r.rounds += 1
            if firstAssign != nil, server.stats.messagesIn > before { r.busyRounds.append(t1 - t0) }
            if firstAssign == nil, server.progress.running + server.progress.done > 0 {
                firstAssign = t0
                cpu0 = (ThreadCPU.current(), ThreadCPU.seconds(of: zmqThreads))
                r.busyRounds.append(t1 - t0)
            }
            if t1 - began > limit {
                throw CoordinatorError.setup("bench: only \(server.progress.done) of \(jobs) jobs done after \(Int(limit)) s")
            }
        }
        let finished = MonotonicTime.seconds()
        r.seconds = finished - (firstAssign ?? began)
        r.loopCPU = ThreadCPU.current() - cpu0.loop
        r.zmqCPU = ThreadCPU.seconds(of: zmqThreads) - cpu0.zmq
        // Let the last ACKs reach the workers before they stop.
        let drainUntil = MonotonicTime.seconds() + 0.3
        while MonotonicTime.seconds() < drainUntil { try server.round(timeout: 0.02) }
        r.workerCounts = try pool?.stop() ?? NoopWorkerPool.Counts()
        server.disconnectAll(reason: "benchmark finished")
        _ = try? server.round(timeout: 0.05)
        r.stats = server.stats

        // Read the results back through a fresh connection to the file.
        let stored = try Store(path: storePath, create: false).allResults()
        r.storedResults = stored.count
        r.distinctStoredJobs = Set(stored.map(\.jobID)).count
        r.wrongResults = stored.filter { $0.outcome[.token] != Double($0.spec.noop?.token ?? -1) }.count
        return r
    }

    /// `workers` idle workers connect, say HELLO and heartbeat for `seconds`; nothing to run.
    static func idle(workers: Int, seconds: Double, storePath: String, threads: Int = 2,
                     heartbeatInterval: Double = 1, logger: Logger) throws -> IdleResult {
        var r = IdleResult(workers: workers, seconds: seconds, heartbeatInterval: heartbeatInterval)
        var cfg = CoordinatorServer.Configuration(bind: "tcp://127.0.0.1:*")
        cfg.heartbeatInterval = heartbeatInterval
        let threadsBefore = ThreadCPU.threads()
        let server = try CoordinatorServer(configuration: cfg, store: try Store(path: storePath, durability: .full), logger: logger)
        let zmqThreads = ThreadCPU.threads().subtracting(threadsBefore)
        let pool = try NoopWorkerPool(endpoint: server.endpoint, workers: workers, slots: 1, threads: threads,
                                      heartbeatInterval: heartbeatInterval, idPrefix: "idle")
        let cpu0 = (ThreadCPU.current(), ThreadCPU.seconds(of: zmqThreads))
        let start = MonotonicTime.seconds()
        pool.start()
        var now = start
        while now - start < seconds {
            let before = server.stats.messagesIn
            try server.round(timeout: 0.05)
            let t1 = MonotonicTime.seconds()
            if server.stats.messagesIn > before { r.busyRounds.append(t1 - now) }
            now = t1
            let alive = server.progress.workersAlive
            r.maxAlive = max(r.maxAlive, alive)
            if r.allConnectedAfter == nil, alive == workers { r.allConnectedAfter = now - start }
        }
        r.aliveAtEnd = server.progress.workersAlive
        r.loopCPU = ThreadCPU.current() - cpu0.0
        r.zmqCPU = ThreadCPU.seconds(of: zmqThreads) - cpu0.1
        r.workerCounts = try pool.stop()
        r.stats = server.stats
        return r
    }
}

/// The store's durability, made sure of.
///
/// `Store(durability: .full)` asks for `PRAGMA synchronous = FULL` in GRDB's `prepareDatabase`,
/// but `DatabasePool` then switches its writer to WAL mode and sets `synchronous = NORMAL`
/// itself (GRDB `Database.setUpWALMode`), so a store opened that way runs with NORMAL: no
/// fsync per commit. The benchmark sets the pragma again on the writer connection after
/// opening, and reads it back, so its figures are for the durability they claim.
enum BenchStore {
    /// Sets `PRAGMA synchronous` on the store's writer connection; returns the value read back
    /// (SQLite's numbering: 1 NORMAL, 2 FULL).
    static func setSynchronous(_ d: Store.Durability, on store: Store) throws -> Int {
        try store.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(d.rawValue)")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        }
    }

    /// The writer connection's `PRAGMA synchronous` as it is.
    static func synchronous(of store: Store) throws -> Int {
        try store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }
}

/// Per-thread CPU time on Linux.
enum ThreadCPU {
    /// CPU seconds of the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
    static func current() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Thread ids of this process. Those new after creating a `ZMQContext`'s first socket
    /// include its I/O and reaper threads; `seconds(of:)` counts only those named "ZMQ...".
    /// (libzmq names its threads from inside them, so the name may not be set yet at once.)
    static func threads() -> Set<Int> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { Int($0) })
    }

    /// Summed user + system CPU seconds of those of these threads named "ZMQ..." (libzmq's),
    /// from `/proc/self/task/T/stat`, in clock ticks (10 ms).
    static func seconds(of threads: Set<Int>) -> Double {
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        for t in threads {
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(t)/comm", encoding: .utf8),
                  comm.hasPrefix("ZMQ"),
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(t)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { continue }
            total += (u + s) / tick
        }
        return total
    }
}

/// Real `urnn-worker` processes for `--processes` (stdout and stderr to /dev/null).
final class BenchProcesses {
    private var processes: [Process] = []

    func start(count: Int, endpoint: String, slots: Int, heartbeatMs: Int) throws {
        let binary = try LocalWorkers.workerBinary()
        for i in 0..<count {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["--connect", endpoint, "--slots", String(slots), "--id", "bench-\(getpid())-\(i)",
                           "--heartbeat-ms", String(heartbeatMs)]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
    }

    /// SIGTERM, then SIGKILL after 5 s for any left.
    func stop() {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = MonotonicTime.seconds() + 5
        while processes.contains(where: \.isRunning), MonotonicTime.seconds() < deadline { usleep(20_000) }
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        processes = []
    }
}
