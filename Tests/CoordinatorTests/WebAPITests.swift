import CoordinatorWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Shared
import Testing
@testable import Coordinator

/// Every endpoint of the web view over a real store (SQLite on disk, read through the same
/// read-only source `run --http` and `serve` use), driven through Hummingbird's router.
@Suite struct WebAPITests {
    /// A store with the smoke sweep: 4 results (one diverged), 1 leased job, 1 failed job.
    final class Fixture: @unchecked Sendable {
        let dir = StoreTests.TempDir()
        let path: String
        let store: Store
        let jobs: [JobSpec]
        init() throws {
            path = dir.path()
            store = try Store(path: path, clock: { 1_700_000_000 })
            let sweep = try SweepFile.load(pathOrPresetName: "smoke")
            jobs = sweep.jobs
            try store.addJobs(jobs, sweepName: sweep.name, definition: sweep.definitionText)
            var ops: [StoreOp] = []
            for (i, spec) in jobs.prefix(4).enumerated() {
                ops.append(.lease(LeaseGrant(jobID: spec.id, leaseID: "s-\(i)", worker: "w\(i % 2)")))
                let r2 = i == 3 ? Double.nan : 0.5 + 0.1 * Double(i)
                let outcome = JobOutcome(status: i == 3 ? .diverged : .ok,
                                         metrics: ["test_r2": r2, "optimal_r2": 0.99, "guard_events": 1],
                                         series: ["train_loss": [1, 0.5, 0.25], "test_loss": [1.1, 0.6, 0.3], "test_r2": [0.1, 0.4, r2]],
                                         events: ["epoch 2: loss not finite, rolled back"])
                ops.append(.result(ResultCommit(jobID: spec.id, leaseID: "s-\(i)", outcome: outcome,
                                                provenance: Provenance(host: "hostA", workerID: "w\(i % 2)",
                                                                       buildVersion: "urnnsweep-0.1.0+x86-64-v3", wallSeconds: 2))))
            }
            ops.append(.lease(LeaseGrant(jobID: jobs[4].id, leaseID: "s-9", worker: "w1")))
            ops.append(.lease(LeaseGrant(jobID: jobs[5].id, leaseID: "s-10", worker: "w0")))
            ops.append(.failure(jobID: jobs[5].id, message: "worker crashed: signal 9", final: true))
            // Job 6: handed back, then a failed run to retry: pending again, with two leases.
            ops.append(.lease(LeaseGrant(jobID: jobs[6].id, leaseID: "s-11", worker: "w0", host: "hostA")))
            ops.append(.requeue(jobID: jobs[6].id, cause: .handedBack))
            ops.append(.lease(LeaseGrant(jobID: jobs[6].id, leaseID: "s-12", worker: "w1", host: "hostB")))
            ops.append(.failure(jobID: jobs[6].id, message: "flaky", final: false))
            _ = try store.apply(ops)
        }

        func app(token: String? = nil, steering: (any SweepSteering)? = nil, feed: LiveFeed = LiveFeed(),
                 maxEventStreams: Int = 64) throws -> Application<RouterResponder<BasicRequestContext>> {
            let source = try StoreWebSource(storePath: path, feed: feed)
            var web = WebApp(source: source, steering: steering, access: HTTPAccess(token: token), feed: feed, metrics: WebMetrics())
            web.maxEventStreams = maxEventStreams
            return Application(router: web.router())
        }
    }

    static func json<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }

    static func error(_ body: ByteBuffer) -> String {
        (try? JSONDecoder().decode([String: String].self, from: Data(buffer: body)))?["error"] ?? String(buffer: body)
    }

    @Test func sweepCountsEveryStateAndSweep() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/sweep", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                let v = try Self.json(SweepView.self, r.body)
                #expect(v.counts.total == 36)
                #expect(v.counts.done == 4 && v.counts.diverged == 1 && v.counts.running == 1 && v.counts.failed == 1)
                #expect(v.counts.pending == 30)
                #expect(v.sweeps.map(\.name) == ["smoke"])
                #expect(abs(v.fraction - 5.0 / 36) < 1e-12)
                #expect(v.live == false && v.coordinator == nil && v.jobsPerMinute == nil)
            }
            try await client.execute(uri: "/api/sweep?x=1", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).contains("takes no query parameters"))
            }
        }
    }

    @Test func workersFromTheStoreWithoutALoop() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/workers", method: .get) { r in
                #expect(r.status == .ok)
                let v = try Self.json(WorkersView.self, r.body)
                #expect(v.workers.map(\.id) == ["w0", "w1"])
                #expect(v.workers.map(\.jobsDone) == [2, 2])
                #expect(v.workers[1].running == [f.jobs[4].id])
                #expect(v.workers[0].instructionSet == "x86-64-v3")
            }
        }
    }

    @Test func workersFromThePublishedSnapshot() async throws {
        let f = try Fixture()
        let feed = LiveFeed()
        let coordinator = CoordinatorView(pid: 42, endpoint: "tcp://127.0.0.1:5555", session: "s", updatedAt: 1, finished: false,
                                          stopped: false, counters: LoopCounters())
        feed.publish(LiveSnapshot(counts: JobCounts(), jobsPerMinute: 12, workers: [
            WorkerView(id: "w1", host: "hostB", pid: 7, slots: 2, running: [f.jobs[4].id], lastHeardSecondsAgo: 0.3,
                       build: "urnnsweep-0.1.0+baseline", instructionSet: "baseline", jobsDone: 0, connected: true),
        ], coordinator: coordinator))
        try await f.app(feed: feed).test(.router) { client in
            try await client.execute(uri: "/api/workers", method: .get) { r in
                let v = try Self.json(WorkersView.self, r.body)
                #expect(v.alive == 1)
                #expect(v.workers.map(\.id) == ["w1", "w0"]) // the live one, then one known from results only
                #expect(v.workers[0].jobsDone == 2 && v.workers[0].slots == 2 && v.workers[0].connected)
                #expect(v.workers[1].connected == false)
            }
            try await client.execute(uri: "/api/sweep", method: .get) { r in
                let v = try Self.json(SweepView.self, r.body)
                #expect(v.live && v.coordinator?.pid == 42 && v.jobsPerMinute == 12 && v.version == 1)
                #expect(v.etaSeconds.map { abs($0 - 31.0 / 12 * 60) < 1e-9 } == true)
            }
        }
    }

    @Test func jobsFilterAndPage() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/jobs", method: .get) { r in
                let v = try Self.json(JobsView.self, r.body)
                #expect(v.matching == 36 && v.jobs.count == 36 && v.limit == 100)
                #expect(v.jobs[0].id == f.jobs[0].id && v.jobs[0].state == "done" && v.jobs[0].metric == 0.5)
                #expect(v.jobs[3].status == "diverged" && v.jobs[3].metric == nil)
                #expect(v.jobs[4].state == "running" && v.jobs[5].state == "failed")
            }
            try await client.execute(uri: "/api/jobs?model=lstm&hidden=14", method: .get) { r in
                let v = try Self.json(JobsView.self, r.body)
                let expected = f.jobs.filter { $0.synthetic?.model == .lstm && $0.synthetic?.hidden == 14 }.map(\.id)
                #expect(expected.count == 3 && v.jobs.map(\.id) == expected)
                #expect(v.jobs.allSatisfy { $0.model == "lstm" && $0.hidden == 14 && $0.kind == "synthetic" })
            }
            for (query, count) in [("state=done", 4), ("state=diverged", 1), ("state=running", 1), ("state=failed", 1),
                                   ("state=pending", 30), ("kind=pmnist", 0), ("kind=synthetic&state=", 36), ("sweep=smoke", 36)] {
                try await client.execute(uri: "/api/jobs?" + query, method: .get) { r in
                    #expect(r.status == .ok, "\(query)")
                    let v = try Self.json(JobsView.self, r.body)
                    #expect(v.matching == count, "\(query)")
                }
            }
            try await client.execute(uri: "/api/jobs?limit=5&offset=34", method: .get) { r in
                let v = try Self.json(JobsView.self, r.body)
                #expect(v.matching == 36 && v.jobs.map(\.id) == f.jobs[34...].map(\.id))
            }
        }
    }

    @Test func malformedQueriesAreRefusedWithTheReason() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            for (query, says) in [("hidden=abc", "hidden=abc"), ("hidden=0", "1...100000"), ("limit=0", "limit=0"),
                                  ("limit=1001", "1...1000"), ("offset=-1", "offset"), ("state=sleeping", "one of pending"),
                                  ("model=gru", "one of rnn"), ("kind=x", "one of synthetic"), ("colour=red", "unknown query parameter colour"),
                                  ("model=rnn&model=lstm", "given twice"), ("hidden=%zz", "percent-encoding"),
                                  ("limit=99999999999999999999", "limit")] {
                try await client.execute(uri: "/api/jobs?" + query, method: .get) { r in
                    #expect(r.status == .badRequest, "\(query)")
                    #expect(Self.error(r.body).contains(says), "\(query): \(Self.error(r.body))")
                }
            }
            try await client.execute(uri: "/api/jobs?" + String(repeating: "a", count: 5000), method: .get) { r in
                #expect(r.status == .uriTooLong)
            }
            try await client.execute(uri: "/api/events?max=0", method: .get) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    @Test func oneJobWithItsResultCurvesAndError() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/jobs/\(f.jobs[1].id)", method: .get) { r in
                #expect(r.status == .ok)
                let v = try Self.json(JobView.self, r.body)
                #expect(v.row.id == f.jobs[1].id && v.attempts == 1)
                #expect(try JSON.decode(JobSpec.self, from: Data(v.spec.utf8)) == f.jobs[1])
                #expect(v.result?.metrics["test_r2"] == 0.6 && v.result?.series["train_loss"] == [1, 0.5, 0.25])
                #expect(v.result?.events == ["epoch 2: loss not finite, rolled back"])
                #expect(v.result?.host == "hostA" && v.result?.wallSeconds == 2)
                let svg = try #require(v.curvesSVG)
                #expect(svg.hasPrefix("<svg") && svg.contains("train_loss") && svg.contains("Test R² per epoch"))
            }
            try await client.execute(uri: "/api/jobs/\(f.jobs[3].id)", method: .get) { r in
                let v = try Self.json(JobView.self, r.body)
                #expect(v.result?.status == "diverged")
                #expect(v.result?.metrics["test_r2"] == .some(nil)) // NaN travels as null
            }
            try await client.execute(uri: "/api/jobs/\(f.jobs[5].id)", method: .get) { r in
                let v = try Self.json(JobView.self, r.body)
                #expect(v.row.state == "failed" && v.lastError == "worker crashed: signal 9" && v.result == nil && v.curvesSVG == nil)
            }
            try await client.execute(uri: "/api/jobs/\(f.jobs[4].id)", method: .get) { r in
                let v = try Self.json(JobView.self, r.body)
                #expect(v.row.state == "running" && v.leaseID == "s-9" && v.row.worker == "w1")
            }
            try await client.execute(uri: "/api/jobs/0123456789abcdef0123456789abcdef", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(Self.error(r.body).contains("no job"))
            }
            try await client.execute(uri: "/api/jobs/NOT-HEX", method: .get) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    /// `GET /api/jobs/ID` lists every lease of the job, oldest first, with how each ended.
    @Test func aJobListsItsLeasesAndHowEachEnded() async throws {
        let f = try Fixture()
        let t = 1_700_000_000.0
        let expected: [(Int, [LeaseView])] = [
            (1, [LeaseView(id: "s-1", worker: "w1", host: nil, grantedAt: t, endedAt: t, ending: "result", reason: nil)]),
            (4, [LeaseView(id: "s-9", worker: "w1", host: nil, grantedAt: t, endedAt: nil, ending: nil, reason: nil)]),
            (5, [LeaseView(id: "s-10", worker: "w0", host: nil, grantedAt: t, endedAt: t, ending: "failed", reason: "worker crashed: signal 9")]),
            (6, [LeaseView(id: "s-11", worker: "w0", host: "hostA", grantedAt: t, endedAt: t, ending: "requeued", reason: "handed back"),
                 LeaseView(id: "s-12", worker: "w1", host: "hostB", grantedAt: t, endedAt: t, ending: "failed", reason: "flaky")]),
            (7, []),
        ]
        try await f.app().test(.router) { client in
            for (i, leases) in expected {
                try await client.execute(uri: "/api/jobs/\(f.jobs[i].id)", method: .get) { r in
                    #expect(r.status == .ok)
                    let v = try Self.json(JobView.self, r.body)
                    #expect(v.leases == leases, "job \(i)")
                    #expect(v.attempts == leases.count, "job \(i): attempts are the leases granted")
                }
            }
            // The JSON as a script sees it: a held lease has no end yet.
            try await client.execute(uri: "/api/jobs/\(f.jobs[4].id)", method: .get) { r in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                let lease = try #require((object?["leases"] as? [[String: Any]])?.first)
                #expect(Set(lease.keys) == ["id", "worker", "grantedAt"])
            }
            try await client.execute(uri: "/api/jobs/\(f.jobs[6].id)", method: .get) { r in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                let lease = try #require((object?["leases"] as? [[String: Any]])?.first)
                #expect(Set(lease.keys) == ["id", "worker", "host", "grantedAt", "endedAt", "ending", "reason"])
                #expect(lease["reason"] as? String == "handed back" && lease["ending"] as? String == "requeued")
            }
            // The page's script renders them (the browser test checks the rendered table).
            try await client.execute(uri: "/assets/app.js", method: .get) { r in
                let js = String(buffer: r.body)
                #expect(js.contains("'job-leases'") && js.contains("j.leases.map") && js.contains("result stored"))
            }
        }
    }

    @Test func resultsAreTheReportsTablesAndFigures() async throws {
        let f = try Fixture()
        let records = try f.store.allResults()
        let markdown = ReportTables.markdown(SyntheticSummary(records: records), totalRecords: records.count)
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/results", method: .get) { r in
                let v = try Self.json(ResultsView.self, r.body)
                #expect(v.records == 4)
                #expect(v.tables.count == 1 && v.tables[0].title == "SNR 20 dB")
                // Every row of the page's table is a row of summary.md.
                #expect(v.tables[0].rows.count == 4)
                for row in v.tables[0].rows {
                    #expect(markdown.contains("\n| " + row.joined(separator: " | ") + " |\n"), "\(row)")
                }
                #expect(v.figures.map(\.name) == ["fig-snr20"])
                #expect(v.figures[0].svg.hasPrefix("<svg") && v.figures[0].svg.contains("URNN at half its hidden units"))
            }
        }
    }

    @Test func pmnistResultsGetTheirTableFigureAndFilter() async throws {
        let f = try Fixture()
        let sweep = try SweepFile.load(pathOrPresetName: "pmnist-smoke")
        try f.store.addJobs(sweep.jobs, sweepName: sweep.name, definition: sweep.definitionText)
        let spec = sweep.jobs[0]
        let outcome = JobOutcome(metrics: ["test_accuracy": 0.25, "selected_epoch": 2, "epochs_run": 3],
                                 series: ["train_loss": [2.3, 2.1, 2.0], "validation_accuracy": [0.1, 0.2, 0.24],
                                          "test_accuracy": [0.1, 0.21, 0.25]])
        _ = try f.store.apply([.lease(LeaseGrant(jobID: spec.id, leaseID: "p-1", worker: "w0")),
                               .result(ResultCommit(jobID: spec.id, leaseID: "p-1", outcome: outcome,
                                                    provenance: Provenance(host: "h", workerID: "w0", buildVersion: "b", wallSeconds: 1)))])
        let lr = try #require(spec.pmnist?.learningRate)
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/api/results", method: .get) { r in
                let v = try Self.json(ResultsView.self, r.body)
                #expect(v.figures.map(\.name) == ["fig-snr20", "fig-pmnist"])
                #expect(v.figures[1].svg.contains("Permuted pixel-by-pixel MNIST"))
                let table = try #require(v.tables.first { $0.title == "Permuted MNIST, lr \(lr)" })
                #expect(table.rows.count == 1 && table.rows[0][3] == "0.2500")
            }
            try await client.execute(uri: "/api/jobs?kind=pmnist&state=done", method: .get) { r in
                let v = try Self.json(JobsView.self, r.body)
                #expect(v.matching == 1 && v.jobs[0].metric == 0.25 && v.jobs[0].model == spec.pmnist?.model.rawValue)
            }
            try await client.execute(uri: "/api/sweep", method: .get) { r in
                let v = try Self.json(SweepView.self, r.body)
                // Same creation time (the fixture's clock): by name.
                #expect(v.sweeps.map(\.name) == ["pmnist-smoke", "smoke"])
                #expect(v.sweeps[0].counts.total == sweep.jobs.count && v.sweeps[0].counts.done == 1)
                #expect(v.counts.total == 36 + sweep.jobs.count && v.counts.done == 5)
            }
            try await client.execute(uri: "/api/jobs/\(spec.id)", method: .get) { r in
                let v = try Self.json(JobView.self, r.body)
                #expect(v.curvesSVG?.contains("Accuracy per epoch") == true && v.curvesSVG?.contains("validation_accuracy") == true)
            }
        }
    }

    @Test func pagesAndAssetsAreServedWithoutOutsideResources() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            for (path, page) in [("/", "overview"), ("/figures", "figures"), ("/results", "results"), ("/jobs", "jobs"),
                                 ("/jobs/\(f.jobs[0].id)", "job")] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok)
                    let html = String(buffer: r.body)
                    #expect(html.contains("data-page=\"\(page)\""))
                    #expect(!html.contains("http://") && !html.contains("https://"), "no outside resources")
                }
            }
            for path in ["/assets/app.js", "/assets/style.css"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok)
                    let text = String(buffer: r.body)
                    #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("@import"))
                }
            }
            try await client.execute(uri: "/jobs/<script>", method: .get) { r in #expect(r.status == .badRequest) }
        }
    }

    @Test func metricsInPrometheusTextFormat() async throws {
        let f = try Fixture()
        try await f.app().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                for line in ["urnn_jobs{state=\"done\"} 4", "urnn_jobs{state=\"pending\"} 30", "urnn_jobs{state=\"diverged\"} 1",
                             "# TYPE urnn_results_stored_total counter", "# TYPE urnn_store_commit_seconds histogram",
                             "# TYPE urnn_round_seconds histogram", "# TYPE urnn_lease_expiries_total counter",
                             "# TYPE urnn_retries_total counter", "# TYPE urnn_malformed_messages_total counter",
                             "# TYPE urnn_workers_alive gauge"] {
                    #expect(text.contains(line), "\(line)")
                }
            }
        }
    }

    @Test func metricsCountWhatTheLoopRecords() {
        let m = WebMetrics()
        var round = WebMetrics.Round(seconds: 0.02, commitSeconds: 0.004)
        round.resultsStored = 7; round.leaseExpiries = 2; round.retries = 1; round.malformed = 3
        m.record(round)
        m.record(WebMetrics.Round(seconds: 0.06))
        let text = m.text()
        #expect(text.contains("urnn_results_stored_total 7"))
        #expect(text.contains("urnn_lease_expiries_total 2") && text.contains("urnn_retries_total 1"))
        #expect(text.contains("urnn_malformed_messages_total 3"))
        #expect(text.contains("urnn_round_seconds_count 2") && text.contains("urnn_store_commit_seconds_count 1"))
        #expect(text.contains("urnn_store_commit_seconds_bucket{le=\"0.005\"} 1"))
        #expect(text.contains("urnn_store_commit_seconds_bucket{le=\"0.0025\"} 0"))
    }

    @Test func serverSentEventsFollowTheFeed() async throws {
        let f = try Fixture()
        let feed = LiveFeed()
        try await f.app(feed: feed).test(.router) { client in
            try await client.execute(uri: "/api/events?max=1", method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "text/event-stream")
                let text = String(buffer: r.body)
                #expect(text.contains("event: update\nid: 0\ndata: {"))
                let data = try #require(text.split(separator: "\n").first { $0.hasPrefix("data: ") })
                #expect(try JSONDecoder().decode(SweepView.self, from: Data(data.dropFirst(6).utf8)).counts.done == 4)
            }
            // A second update arrives only when the loop publishes again.
            let publisher = Task {
                try await Task.sleep(nanoseconds: 600_000_000)
                feed.bump()
            }
            let t0 = Date()
            try await client.execute(uri: "/api/events?max=2", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("id: 0\n") && text.contains("id: 1\n"))
            }
            #expect(Date().timeIntervalSince(t0) >= 0.5)
            _ = try await publisher.value
        }
    }

    @Test func eventStreamsAreBounded() async throws {
        let f = try Fixture()
        try await f.app(maxEventStreams: 0).test(.router) { client in
            try await client.execute(uri: "/api/events?max=1", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(Self.error(r.body).contains("too many open event streams"))
            }
        }
        // A finished stream gives its place back.
        try await f.app(maxEventStreams: 1).test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/api/events?max=1", method: .get) { r in #expect(r.status == .ok) }
            }
        }
    }

    @Test func aTokenGuardsEveryEndpoint() async throws {
        let f = try Fixture()
        let token = "0123456789abcdef-token"
        try await f.app(token: token).test(.router) { client in
            for path in ["/api/sweep", "/api/workers", "/api/jobs", "/api/results", "/api/events?max=1", "/metrics",
                         "/api/jobs/\(f.jobs[0].id)"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .unauthorized, "\(path)")
                    #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]) { r in
                    #expect(r.status == .unauthorized, "\(path)")
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"]) { r in
                    #expect(r.status == .ok, "\(path)")
                }
            }
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/login")
            }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=nope")) { r in
                #expect(r.status == .unauthorized)
            }
            let cookie = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "token=\(token)")) { r in
                #expect(r.status == .seeOther)
                let c = try #require(r.headers[.setCookie])
                #expect(c.contains("HttpOnly") && c.contains("SameSite=Strict"))
                return String(c.split(separator: ";")[0])
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/sweep", method: .get, headers: [.cookie: cookie]) { r in #expect(r.status == .ok) }
        }
    }

    /// Records what it was asked, to check the HTTP side forwards exactly that.
    final class RecordingSteering: SweepSteering, @unchecked Sendable {
        var calls: [(SteeringAction, SteeringFilter)] = []
        func steer(_ action: SteeringAction, filter: SteeringFilter) throws -> SteeringResponse {
            calls.append((action, filter))
            return SteeringResponse(action: action.rawValue, matched: 3, changed: 2, message: "ok")
        }
    }

    @Test func steeringNeedsTheTokenAndAWellFormedFilter() async throws {
        let f = try Fixture()
        let body = ByteBuffer(string: #"{"where": "model=lstm,hidden=14"}"#)
        let json: HTTPFields = [.contentType: "application/json"]
        // Without a token steering is off, even on loopback.
        try await f.app(steering: RecordingSteering()).test(.router) { client in
            try await client.execute(uri: "/api/pause", method: .post, headers: json, body: body) { r in
                #expect(r.status == .forbidden)
                #expect(Self.error(r.body).contains("--http-token-file"))
            }
        }
        let token = "0123456789abcdef-token"
        let steering = RecordingSteering()
        let auth: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
        try await f.app(token: token, steering: steering).test(.router) { client in
            try await client.execute(uri: "/api/cancel", method: .post, headers: json, body: body) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/cancel", method: .post, headers: [.authorization: "Bearer \(token)"], body: body) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            for (bad, says) in [(#"{"where": "model"}"#, "has no ="), (#"{"where": "Model=x"}"#, "is not a key"),
                                (#"{"where": "a=1,a=2"}"#, "given twice"), ("not json", "JSON object")] {
                try await client.execute(uri: "/api/pause", method: .post, headers: auth, body: ByteBuffer(string: bad)) { r in
                    #expect(r.status == .badRequest, "\(bad)")
                    #expect(Self.error(r.body).contains(says), "\(bad): \(Self.error(r.body))")
                }
            }
            try await client.execute(uri: "/api/pause", method: .post, headers: auth, body: body) { r in
                #expect(r.status == .ok)
                let report = try Self.json(SteeringResponse.self, r.body)
                #expect(report.changed == 2)
            }
            try await client.execute(uri: "/api/pause", method: .get, headers: auth) { r in #expect(r.status == .notFound || r.status == .methodNotAllowed) }
        }
        #expect(steering.calls.count == 1 && steering.calls[0].0 == .pause)
        #expect(steering.calls[0].1.pairs == [.init(key: "model", value: "lstm"), .init(key: "hidden", value: "14")])
        // Without a backend the endpoints say so.
        try await f.app(token: token).test(.router) { client in
            try await client.execute(uri: "/api/resume", method: .post, headers: auth, body: body) { r in
                #expect(r.status == .notImplemented)
            }
        }
    }

    /// The coordinator's backend behind the endpoints: the store's steering rules, as
    /// `urnn-coordinator pause|resume|cancel` write them (no coordinator runs on the fixture).
    @Test func steeringThroughTheStoreWritesTheRulesTheCommandsWrite() async throws {
        let f = try Fixture()
        let token = "0123456789abcdef-token"
        let auth: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)"]
        func post(_ path: String, _ body: String) async throws -> (status: HTTPResponse.Status, body: ByteBuffer) {
            try await f.app(token: token, steering: StoreSteering(storePath: f.path)).test(.router) { client in
                try await client.execute(uri: path, method: .post, headers: auth, body: ByteBuffer(string: body)) { r in (r.status, r.body) }
            }
        }
        var r = try await post("/api/pause", #"{"where": "sweep=smoke,model=lstm"}"#)
        #expect(r.status == .ok)
        var v = try Self.json(SteeringResponse.self, r.body)
        #expect(v.action == "pause" && v.matched > 0 && v.message.contains("no coordinator is running"), "\(v)")
        var rules = try f.store.steeringRules()
        #expect(rules.count == 1 && rules[0].verb == .pause && rules[0].sweep == "smoke" && rules[0].filter.description == "model=lstm")
        r = try await post("/api/resume", #"{"where": "sweep=smoke"}"#)
        #expect(r.status == .ok)
        #expect(try Self.json(SteeringResponse.self, r.body).message.contains("lifted pause rule"))
        #expect(try f.store.steeringRules().isEmpty)
        r = try await post("/api/cancel", #"{"where": "model=lstm,hidden=14"}"#)
        #expect(r.status == .ok)
        v = try Self.json(SteeringResponse.self, r.body)
        #expect(v.changed >= 1 && v.changed == v.matched, "\(v)")
        let cancelled = v.changed
        rules = try f.store.steeringRules()
        #expect(rules.count == 1 && rules[0].verb == .cancel)
        let (sweep, jobs) = try await f.app().test(.router) { client in
            let s = try await client.execute(uri: "/api/sweep", method: .get) { r in try Self.json(SweepView.self, r.body) }
            let j = try await client.execute(uri: "/api/jobs?state=cancelled", method: .get) { r in try Self.json(JobsView.self, r.body) }
            return (s, j)
        }
        #expect(sweep.counts.cancelled == cancelled && jobs.matching == cancelled)
        // Keys and values the store does not know are refused before anything is written.
        for (bad, says) in [(#"{"where": "colour=red"}"#, "unknown key"), (#"{"where": "hidden=two"}"#, "hidden=two"),
                            (#"{"where": "sweep=a.b/c"}"#, "sweep")] {
            r = try await post("/api/pause", bad)
            #expect(r.status == .badRequest, "\(bad)")
            #expect(Self.error(r.body).contains(says), "\(bad): \(Self.error(r.body))")
        }
        #expect(try f.store.steeringRules().count == 1)
    }
}
