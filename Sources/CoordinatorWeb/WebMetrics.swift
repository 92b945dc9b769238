import Foundation
import Prometheus

/// The coordinator's Prometheus metrics (`GET /metrics`, docs/WEB.md "Metrics"), through
/// swift-prometheus. The loop records into it after each round (`record`); counters and
/// histograms are lock-free atomics inside swift-prometheus, so this never waits on a scrape.
public final class WebMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let jobs: [String: Gauge]
    private let resultsStored: Counter
    private let workersAlive: Gauge
    private let leaseExpiries: Counter
    private let retries: Counter
    private let malformed: Counter
    private let commitSeconds: ValueHistogram
    private let roundSeconds: ValueHistogram

    public static let jobStates = ["pending", "running", "done", "failed", "diverged"]

    public init() {
        var g: [String: Gauge] = [:]
        for s in Self.jobStates {
            g[s] = registry.makeGauge(name: "urnn_jobs", labels: [("state", s)],
                                      help: "Jobs in the store by state (diverged: done jobs whose training diverged)")
        }
        jobs = g
        resultsStored = registry.makeCounter(name: "urnn_results_stored_total",
                                             help: "Results committed to the store by this coordinator (rate() gives results per second)")
        workersAlive = registry.makeGauge(name: "urnn_workers_alive", help: "Workers with a live session")
        leaseExpiries = registry.makeCounter(name: "urnn_lease_expiries_total",
                                             help: "Leases requeued because no heartbeat renewed them")
        retries = registry.makeCounter(name: "urnn_retries_total", help: "Failed runs requeued for another attempt")
        malformed = registry.makeCounter(name: "urnn_malformed_messages_total", help: "Messages that did not decode or broke the protocol")
        commitSeconds = registry.makeValueHistogram(
            name: "urnn_store_commit_seconds",
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
            help: "Time of one store transaction (a round's leases, results, requeues, failures)")
        roundSeconds = registry.makeValueHistogram(
            name: "urnn_round_seconds",
            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5],
            help: "Duration of one coordinator loop round, poll wait included (50 ms when idle)")
    }

    /// Sets the gauges from the store's counts (and, when a loop runs, its workers).
    public func set(counts: JobCounts, workersAlive alive: Int?) {
        jobs["pending"]?.set(Double(counts.pending))
        jobs["running"]?.set(Double(counts.running))
        jobs["done"]?.set(Double(counts.done))
        jobs["failed"]?.set(Double(counts.failed))
        jobs["diverged"]?.set(Double(counts.diverged))
        if let alive { workersAlive.set(Double(alive)) }
    }

    /// What one round of the loop did, as increments.
    public struct Round: Sendable {
        public var seconds: Double
        public var commitSeconds: Double?
        public var resultsStored = 0
        public var leaseExpiries = 0
        public var retries = 0
        public var malformed = 0
        public init(seconds: Double, commitSeconds: Double? = nil) { self.seconds = seconds; self.commitSeconds = commitSeconds }
    }

    public func record(_ r: Round) {
        roundSeconds.record(r.seconds)
        if let c = r.commitSeconds { commitSeconds.record(c) }
        if r.resultsStored > 0 { resultsStored.increment(by: Int64(r.resultsStored)) }
        if r.leaseExpiries > 0 { leaseExpiries.increment(by: Int64(r.leaseExpiries)) }
        if r.retries > 0 { retries.increment(by: Int64(r.retries)) }
        if r.malformed > 0 { malformed.increment(by: Int64(r.malformed)) }
    }

    /// The text exposition format.
    public func text() -> String { registry.emitToString() }
}
