import CoordinatorWeb
import Foundation
import Shared

/// The web view's data over a store: read-only (`Store(readingAt:)`, no lock, WAL snapshots),
/// plus the snapshot the coordinator's loop publishes when it runs in this process (`feed`).
/// `serve` has no loop: it shows what the store and the coordinator's status row say.
final class StoreWebSource: SweepSource, @unchecked Sendable {
    let store: Store
    let feed: LiveFeed
    /// The report over the stored results, rebuilt only when the results change.
    private let lock = NSLock()
    private var cached: (key: String, view: ResultsView)?

    init(storePath: String, feed: LiveFeed) throws {
        store = try Store(readingAt: storePath)
        self.feed = feed
    }

    func sweep() throws -> SweepView {
        let (version, snapshot) = feed.current
        let perSweep = try store.countsBySweep()
        var total = JobCounts()
        for (_, c) in perSweep {
            total.total += c.total; total.pending += c.pending; total.running += c.running
            total.done += c.done; total.failed += c.failed; total.diverged += c.diverged; total.cancelled += c.cancelled
        }
        let coordinator: CoordinatorView?
        let rate: Double?
        let live: Bool
        if let s = snapshot {
            coordinator = s.coordinator
            rate = s.jobsPerMinute
            live = !s.coordinator.stopped
        } else if let st = try? store.readStatus() {
            coordinator = CoordinatorView(pid: st.pid, endpoint: st.endpoint, session: st.sessionID, updatedAt: st.updatedAt,
                                          finished: st.finished, stopped: st.stopped, counters: nil)
            // The coordinator writes its status about once a second: older than 5 s means it is gone.
            live = !st.stopped && Date().timeIntervalSince1970 - st.updatedAt < 5
            rate = live ? st.jobsPerMinute : nil
        } else {
            coordinator = nil; rate = nil; live = false
        }
        let finished = total.done + total.failed + total.cancelled
        let eta = rate.flatMap { r in r > 0 ? Double(max(0, total.total - finished)) / r * 60 : nil }
        return SweepView(store: store.path, counts: total,
                         sweeps: perSweep.map { .init(name: $0.sweep, counts: $0.counts) },
                         fraction: total.total > 0 ? Double(finished) / Double(total.total) : 1,
                         jobsPerMinute: rate, etaSeconds: eta, live: live, coordinator: coordinator, version: version)
    }

    func workers() throws -> WorkersView {
        let done = try store.resultsByWorker()
        if let s = feed.current.snapshot {
            var seen = Set<String>()
            var list = s.workers.map { w -> WorkerView in
                seen.insert(w.id)
                var w = w
                w.jobsDone = done[w.id]?.count ?? 0
                return w
            }
            for (id, d) in done.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
                list.append(Self.past(id: id, host: d.host, build: d.build, count: d.count, running: []))
            }
            return WorkersView(alive: s.workers.filter(\.connected).count, workers: list)
        }
        // No loop here: the store knows who produced results and who holds leases now.
        let leased = try store.leasedByWorker()
        let ids = Set(done.keys).union(leased.keys).sorted()
        let alive = (try? store.readStatus()).flatMap { st in st.stopped ? 0 : st.workersAlive } ?? 0
        return WorkersView(alive: alive, workers: ids.map { id in
            Self.past(id: id, host: done[id]?.host ?? "", build: done[id]?.build, count: done[id]?.count ?? 0,
                      running: leased[id] ?? [])
        })
    }

    private static func past(id: String, host: String, build: String?, count: Int, running: [String]) -> WorkerView {
        WorkerView(id: id, host: host, pid: nil, slots: nil, running: running, lastHeardSecondsAgo: nil, build: build,
                   instructionSet: build.map(Self.instructionSet), jobsDone: count, connected: false)
    }

    /// `urnnsweep-0.1.0+x86-64-v3` -> `x86-64-v3`.
    static func instructionSet(of build: String) -> String {
        build.split(separator: "+", maxSplits: 1).dropFirst().first.map(String.init) ?? "?"
    }

    func jobs(_ query: JobQuery) throws -> JobsView {
        let (matching, rows) = try store.jobRows(query)
        return JobsView(matching: matching, offset: query.offset, limit: query.limit, jobs: rows.map(Self.row))
    }

    static func row(_ r: WebJobRow) -> JobRow {
        let spec = try? JSON.decode(JobSpec.self, from: Data(r.spec.utf8))
        let model = spec?.synthetic?.model.rawValue ?? spec?.pmnist?.model.rawValue
        let hidden = spec?.synthetic?.hidden ?? spec?.pmnist?.hidden
        return JobRow(id: r.id, sweep: r.sweep, kind: r.kind, model: model, hidden: hidden,
                      state: r.state == "leased" ? "running" : r.state, status: r.status, attempts: r.attempts,
                      worker: r.worker, metric: r.metric.flatMap { $0.isFinite ? $0 : nil },
                      summary: spec?.summary ?? "(spec does not decode)")
    }

    func job(id: String) throws -> JobView? {
        guard let d = try store.jobDetail(id: id) else { return nil }
        var result: JobView.Result?
        var curves: String?
        if let text = d.outcome, let prov = d.provenance {
            let o = try JSON.decode(JobOutcome.self, from: Data(text.utf8))
            let finite: (Double) -> Double? = { $0.isFinite ? $0 : nil }
            result = JobView.Result(status: o.status.rawValue, metrics: o.metrics.mapValues(finite),
                                    series: o.series.mapValues { $0.map(finite) }, events: o.events,
                                    divergedEpoch: o.divergedEpoch, host: prov.host, worker: prov.workerID,
                                    build: prov.buildVersion, wallSeconds: prov.wallSeconds, finishedAt: d.finishedAt ?? 0)
            curves = JobCurves.figure(o)?.svg()
        }
        let leases = d.leases.map {
            LeaseView(id: $0.leaseID, worker: $0.worker, host: $0.host, grantedAt: $0.grantedAt, endedAt: $0.endedAt,
                      ending: $0.ending?.rawValue, reason: $0.detail)
        }
        return JobView(row: Self.row(d.row), spec: d.row.spec, attempts: d.row.attempts, leaseID: d.row.leaseID,
                       lastError: d.row.lastError, updatedAt: d.row.updatedAt, result: result, curvesSVG: curves.map(JobCurves.inline),
                       leases: leases)
    }

    func results() throws -> ResultsView {
        let counts = try store.counts()
        let key = "\(counts.done)|\(counts.total)"
        lock.lock()
        if let c = cached, c.key == key { lock.unlock(); return c.view }
        lock.unlock()
        let view = ResultsPage.build(records: try store.allResults())
        lock.lock(); cached = (key, view); lock.unlock()
        return view
    }
}
