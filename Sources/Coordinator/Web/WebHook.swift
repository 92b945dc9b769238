import CoordinatorWeb
import Foundation
import Logging
import Shared

/// The coordinator's side of the web view while `run` serves it: after each round the loop calls
/// `afterRound`, which turns the round into metric increments and, when anything moved (or once a
/// second, for the workers' heartbeat ages), publishes a `LiveSnapshot`. Cheap and non-blocking:
/// it copies values under a lock; the HTTP side never calls into the loop.
final class WebHook {
    let server: WebServer
    let feed: LiveFeed
    let metrics: WebMetrics
    private var last = CoordinatorServer.Stats()
    private var lastProgress: Scheduler.Progress?
    private var lastPublish = -Double.infinity

    /// Starts the web view for `storePath` (a store the caller has opened, so it exists).
    init(options: (bind: HTTPBind, access: HTTPAccess), storePath: String, logger: Logger) throws {
        feed = LiveFeed()
        metrics = WebMetrics()
        let source = try StoreWebSource(storePath: storePath, feed: feed)
        let app = WebApp(source: source, steering: StoreSteering(storePath: storePath), access: options.access, feed: feed, metrics: metrics)
        server = try WebServer.startBlocking(app, bind: options.bind, logger: logger)
        logger.info("web view: \(server.url)\(options.access.token == nil ? "" : " (token required)")")
    }

    /// One round of `coordinator` took `seconds`; `jobsPerMinute` is the loop's rate meter.
    func afterRound(_ coordinator: CoordinatorServer, seconds: Double, jobsPerMinute: Double?, diverged: Int, stopped: Bool = false) {
        let s = coordinator.stats
        var round = WebMetrics.Round(seconds: seconds, commitSeconds: s.commits != last.commits ? s.lastCommitSeconds : nil)
        round.resultsStored = s.resultsCommitted - last.resultsCommitted
        round.leaseExpiries = s.leaseExpiries - last.leaseExpiries
        round.retries = s.retries - last.retries
        round.malformed = s.malformed - last.malformed
        metrics.record(round)
        let p = coordinator.progress
        let now = MonotonicTime.seconds()
        let moved = s.messagesIn != last.messagesIn || s.commits != last.commits || p != lastProgress
        last = s
        guard moved || stopped || now - lastPublish >= 1 else { return }
        lastPublish = now
        lastProgress = p
        publish(coordinator, now: now, jobsPerMinute: jobsPerMinute, diverged: diverged, stopped: stopped)
    }

    private func publish(_ c: CoordinatorServer, now: Double, jobsPerMinute: Double?, diverged: Int, stopped: Bool) {
        let p = c.progress
        var counts = JobCounts()
        counts.total = p.total; counts.pending = p.pending; counts.running = p.running
        counts.done = p.done; counts.failed = p.failed; counts.diverged = diverged
        let live = c.scheduler.workers
        let workers = c.hellos.values.sorted { $0.workerID < $1.workerID }.map { h -> WorkerView in
            let w = live[h.workerID]
            return WorkerView(id: h.workerID, host: h.host, pid: h.pid, slots: h.slots, running: w.map { $0.leases.sorted() } ?? [],
                              lastHeardSecondsAgo: w.map { max(0, now - $0.lastHeard) }, build: h.buildVersion,
                              instructionSet: StoreWebSource.instructionSet(of: h.buildVersion), jobsDone: 0,
                              connected: w != nil && !stopped)
        }
        let s = c.stats
        var counters = LoopCounters()
        counters.messagesIn = s.messagesIn; counters.malformed = s.malformed; counters.resultsStored = s.resultsCommitted
        counters.duplicates = s.duplicates; counters.leaseExpiries = s.leaseExpiries; counters.retries = s.retries
        counters.requeued = s.requeued; counters.workersLost = s.workersDead; counters.commits = s.commits
        let view = CoordinatorView(pid: Int(getpid()), endpoint: c.endpoint, session: c.sessionID,
                                   updatedAt: Date().timeIntervalSince1970, finished: p.isFinished, stopped: stopped,
                                   counters: counters)
        feed.publish(LiveSnapshot(counts: counts, jobsPerMinute: jobsPerMinute, workers: workers, coordinator: view))
        metrics.set(counts: counts, workersAlive: stopped ? 0 : live.count)
    }

    func stop() { server.stop() }
}
