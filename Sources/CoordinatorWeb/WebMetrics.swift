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

    public static let jobStates = ["pending", "running", "done", "failed", "diverged", "cancelled"]

    /// `urnn_<metric>[_<unit>]` with its help text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "urnn", metricName: metric, unitName: unit, helpText: help)
    }

    public init() {
        var g: [String: Gauge] = [:]
        for s in Self.jobStates {
            g[s] = registry.makeGauge(descriptor: Self.name("jobs", "", "Jobs in the store by state (diverged: done jobs whose training diverged)"),
                                      labels: [("state", s)])
        }
        jobs = g
        resultsStored = registry.makeCounter(descriptor: Self.name("results_stored", "total",
                                             "Results committed to the store by this coordinator (rate() gives results per second)"))
        workersAlive = registry.makeGauge(descriptor: Self.name("workers_alive", "", "Workers with a live session"))
        leaseExpiries = registry.makeCounter(descriptor: Self.name("lease_expiries", "total", "Leases requeued because no heartbeat renewed them"))
        retries = registry.makeCounter(descriptor: Self.name("retries", "total", "Failed runs requeued for another attempt"))
        malformed = registry.makeCounter(descriptor: Self.name("malformed_messages", "total", "Messages that did not decode or broke the protocol"))
        commitSeconds = registry.makeValueHistogram(
            descriptor: Self.name("store_commit", "seconds", "Time of one store transaction (a round's leases, results, requeues, failures)"),
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])
        roundSeconds = registry.makeValueHistogram(
            descriptor: Self.name("round", "seconds", "Duration of one coordinator loop round, poll wait included (50 ms when idle)"),
            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5])
    }

    /// Sets the gauges from the store's counts (and, when a loop runs, its workers).
    public func set(counts: JobCounts, workersAlive alive: Int?) {
        jobs["pending"]?.set(Double(counts.pending))
        jobs["running"]?.set(Double(counts.running))
        jobs["done"]?.set(Double(counts.done))
        jobs["failed"]?.set(Double(counts.failed))
        jobs["diverged"]?.set(Double(counts.diverged))
        jobs["cancelled"]?.set(Double(counts.cancelled))
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
