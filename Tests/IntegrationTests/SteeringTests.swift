import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// `pause`, `resume` and `cancel` beside a running coordinator, with real coordinator and
    /// worker processes on loopback.
    @Suite struct Steering {
        static func steer(_ cmd: Commands, _ verb: String, store: String, _ extra: [String] = []) throws -> String {
            let f = try runToEnd(Bin.coordinator, [verb, "--store", store] + extra, in: cmd.scratch)
            try #require(f.status == 0, "\(verb) failed: \(f.stderr)")
            return f.stdout
        }

        /// The lease history of every job in each of `states`, read as a script would: `serve` on
        /// the store (read-only), `GET /api/jobs?state=...`, then `GET /api/jobs/ID` for each.
        static func leaseHistories(store: String, states: [String], children: Children) throws -> [String: [String: [[String: Any]]]] {
            let serve = try children.start(Bin.coordinator, ["serve", "--store", store, "--http", "127.0.0.1:0"], name: "serve")
            defer { serve.stop(grace: 5) }
            var port = 0
            try #require(waitUntil(timeout: 30) {
                port = Browser.first("serving http://127\\.0\\.0\\.1:([0-9]+)/", in: serve.stdout).flatMap(Int.init) ?? 0
                return port > 0
            }, "serve printed no URL\n\(children.diagnostics)")
            func get(_ path: String) throws -> [String: Any] {
                let data = try #require(httpGet(port: port, path: path), "GET \(path) failed")
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "GET \(path): not an object")
            }
            var out: [String: [String: [[String: Any]]]] = [:]
            for state in states {
                let jobs = try get("/api/jobs?state=\(state)&limit=1000")["jobs"] as? [[String: Any]] ?? []
                for job in jobs {
                    let id = try #require(job["id"] as? String)
                    out[state, default: [:]][id] = try get("/api/jobs/\(id)")["leases"] as? [[String: Any]] ?? []
                }
            }
            return out
        }

        /// Two 60 s jobs run on the worker's two slots when they are cancelled: CANCEL stops them
        /// at once, the other long ones never run, and the same worker process goes on with the
        /// short jobs until the sweep ends (long before the long jobs could have).
        @Test(.timeLimit(.minutes(2)))
        func cancelStopsRunningJobsAndTheWorkerGoesOn() throws {
            try Bin.require()
            let scratch = try Scratch("cancel")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("cancel.yaml", """
                name: integ-cancel
                kind: noop
                grid:
                  sleep_ms: [60000, 150]
                  token: 0..5

                """)
            let store = scratch.path("cancel.sqlite")
            let port = try freeLoopbackPort()
            let t0 = Date()
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--heartbeat-ms", "200"])
            let worker = try cmd.worker(port: port, id: "integ-canceller-\(getpid())", slots: 2, heartbeatMs: 200)
            // Both slots busy with long jobs (the grid hands them out first).
            let busy = waitUntil(timeout: 30, poll: 0.05) { WorkerLog.started(worker.stderr).count >= 2 }
            try #require(busy, "the worker never started two jobs\n\(children.diagnostics)")
            #expect(WorkerLog.finished(worker.stderr).isEmpty)

            let said = try Self.steer(cmd, "cancel", store: store, ["--sweep", "integ-cancel", "--where", "sleep_ms=60000"])
            #expect(said.contains("6 unfinished job(s) match") && said.contains("running coordinator"), "\(said)")

            try #require(coordinator.waitExit(timeout: 45), "the sweep did not finish after the cancel\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            #expect(Date().timeIntervalSince(t0) < 50, "the cancelled 60 s jobs were waited for")
            let log = worker.stderr
            #expect(log.components(separatedBy: "cancelling ").count - 1 == 2, "\(log)")
            #expect(log.components(separatedBy: "discarded ").count - 1 == 2, "\(log)")
            // The same process ran every short job after the cancel (it was never restarted).
            #expect(WorkerLog.finished(log).count == 6)
            #expect(WorkerLog.started(log).count == 8)
            let status = try cmd.status(store: store)
            #expect(status.done == 6 && status.cancelled == 6 && status.failed == 0 && status.pending == 0, "\(status)")
            let records = try cmd.export(store: store)
            #expect(records.count == 6 && records.allSatisfy { $0.spec.noop?.sleepMilliseconds == 150 })
            #expect(coordinator.stderr.contains("told integ-canceller-\(getpid()) to stop it"))
            // The lease history: the two running when cancelled end `cancelled`, the other four
            // never had a lease; every done job's last lease ended with its result.
            let history = try Self.leaseHistories(store: store, states: ["cancelled", "done"], children: children)
            let cancelled = history["cancelled"] ?? [:]
            #expect(cancelled.count == 6)
            let ran = cancelled.values.filter { !$0.isEmpty }
            #expect(ran.count == 2, "\(cancelled)")
            for leases in ran {
                #expect(leases.count == 1 && leases[0]["ending"] as? String == "cancelled" && leases[0]["reason"] == nil, "\(leases)")
                #expect(leases[0]["worker"] as? String == "integ-canceller-\(getpid())" && leases[0]["host"] is String, "\(leases)")
            }
            #expect(history["done"]?.count == 6)
            #expect(history["done"]?.values.allSatisfy { $0.last?["ending"] as? String == "result" } == true, "\(history["done"] ?? [:])")
        }

        /// `pause` stops new leases (running jobs finish, the sweep waits), `status` shows the rule,
        /// `resume` lets the sweep finish.
        @Test(.timeLimit(.minutes(2)))
        func pauseStopsNewLeasesAndResumeFinishesTheSweep() throws {
            try Bin.require()
            let scratch = try Scratch("pause")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let jobs = 30
            let sweep = try scratch.write("pause.yaml", noopSweep(name: "integ-pause", count: jobs, sleepMs: 100))
            let store = scratch.path("pause.sqlite")
            let port = try freeLoopbackPort()
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--heartbeat-ms", "200"])
            let worker = try cmd.worker(port: port, id: "integ-pauser-\(getpid())", slots: 2, heartbeatMs: 200)
            try #require(waitUntil(timeout: 30, poll: 0.02) { WorkerLog.finished(worker.stderr).count >= 4 },
                         "no progress\n\(children.diagnostics)")
            let said = try Self.steer(cmd, "pause", store: store)
            #expect(said.contains("paused every sweep"), "\(said)")
            // Within a second the rule is applied and the jobs then running have ended.
            Thread.sleep(forTimeInterval: 1.2)
            let startedAtPause = WorkerLog.started(worker.stderr).count
            Thread.sleep(forTimeInterval: 1.5)
            let log = worker.stderr
            #expect(WorkerLog.started(log).count == startedAtPause, "jobs started while paused")
            #expect(WorkerLog.finished(log).count == startedAtPause)
            #expect(startedAtPause < jobs)
            let paused = try cmd.status(store: store)
            #expect(paused.coordinator == "running" && paused.leased == 0 && paused.pending == jobs - startedAtPause, "\(paused)")
            #expect(paused.paused == ["every sweep"])
            #expect(coordinator.process.isRunning)

            let resumed = try Self.steer(cmd, "resume", store: store)
            #expect(resumed.contains("lifted pause rule"), "\(resumed)")
            try #require(coordinator.waitExit(timeout: 60), "the sweep did not finish after resume\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            let records = try cmd.export(store: store)
            #expect(records.count == jobs && records.duplicateIDs.isEmpty)
            #expect(try cmd.status(store: store).paused == [])
        }
    
        /// `timeout: 1` with `timeout_retries: 1`: a 60 s job is stopped on its worker after about
        /// a second, run once more, stopped again and failed with "timed out"; the worker serves on.
        @Test(.timeLimit(.minutes(2)))
        func aJobPastItsTimeLimitIsStoppedRetriedAndFailed() throws {
            try Bin.require()
            let scratch = try Scratch("timeout")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("timeout.yaml", """
                name: integ-timeout
                kind: noop
                timeout: 1
                timeout_retries: 1
                grid:
                  sleep_ms: [60000, 50]
                  token: 0..1

                """)
            let store = scratch.path("timeout.sqlite")
            let port = try freeLoopbackPort()
            let t0 = Date()
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--heartbeat-ms", "200"])
            let worker = try cmd.worker(port: port, id: "integ-timer-\(getpid())", slots: 2, heartbeatMs: 200)
            try #require(coordinator.waitExit(timeout: 60), "the sweep did not end\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(coordinator.diagnostics)")
            #expect(Date().timeIntervalSince(t0) < 45, "the 60 s jobs were waited for")
            let status = try cmd.status(store: store)
            #expect(status.done == 2 && status.failed == 2, "\(status)")
            let log = worker.stderr
            #expect(log.components(separatedBy: "(timed out after 1 s)").count - 1 == 4, "\(log)")
            let f = try runToEnd(Bin.coordinator, ["status", "--store", store], in: scratch)
            #expect(f.stdout.contains("timed out after 1 s (2 runs, every one timed out)"), "\(f.stdout)")
            // Each failed job had two leases: requeued after the first timeout, failed after the second.
            let failed = try Self.leaseHistories(store: store, states: ["failed"], children: children)["failed"] ?? [:]
            #expect(failed.count == 2)
            for (id, leases) in failed {
                #expect(leases.map { $0["ending"] as? String } == ["requeued", "failed"], "\(id): \(leases)")
                #expect(leases.map { $0["reason"] as? String } == ["timed out after 1 s", "timed out after 1 s (2 runs, every one timed out)"],
                        "\(id): \(leases)")
                #expect(Set(leases.map { $0["id"] as? String }).count == 2, "two distinct lease ids: \(leases)")
            }
        }
    }
}
