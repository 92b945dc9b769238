import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Shared
import Testing

extension LiveSweeps {
    /// `serve` and `run --http` as commands: refused input before anything starts, and `serve`
    /// beside a running coordinator, reading its store without a lock (docs/WEB.md).
    @Suite struct WebCommands {
        @Test(.timeLimit(.minutes(3)))
        func badHTTPOptionsAreRefusedBeforeAnythingStarts() throws {
            try Bin.require()
            let scratch = try Scratch("web-cli")
            let sweep = try scratch.write("tiny.yaml", noopSweep(name: "tiny", count: 2, sleepMs: 1))
            let short = try scratch.write("short-token", "abc\n")
            let store = scratch.path("never.sqlite")
            for (args, says) in [
                (["run", sweep, "--store", store, "--http", "0.0.0.0:0"], "without a token"),
                (["run", sweep, "--store", store, "--http", "127.0.0.1:70000"], "port must be"),
                (["run", sweep, "--store", store, "--http", "example.org:80"], "not an IPv4 address"),
                (["run", sweep, "--store", store, "--http", "127.0.0.1:0", "--http-token-file", short], "16 to 512"),
                (["run", sweep, "--store", store, "--http-token-file", short], "16 to 512"),
                (["run", sweep, "--store", store, "--http-insecure"], "go with --http"),
                (["serve", "--store", store], "no store at"),
                (["serve", "--store", store, "--http", "[::1]"], "no :PORT after the IPv6 address"),
                (["serve", "--store", store, "--poll-seconds", "0"], "--poll-seconds"),
            ] {
                let r = try runToEnd(Bin.coordinator, args, in: scratch, timeout: 30)
                #expect(r.exitedNormally && r.status != 0, "\(args) exited \(r.status)")
                #expect(r.stderr.contains(says), "\(args): \(r.stderr)")
                #expect(!FileManager.default.fileExists(atPath: store), "\(args) created the store")
            }
        }

        @Test(.timeLimit(.minutes(2)))
        func aTakenPortIsAClearErrorNotAHang() throws {
            try Bin.require()
            let scratch = try Scratch("web-port")
            let sweep = try scratch.write("tiny.yaml", noopSweep(name: "tiny", count: 1, sleepMs: 1))
            let store = scratch.path("tiny.sqlite")
            let made = try runToEnd(Bin.coordinator, ["run", sweep, "--store", store, "--local-workers", "1"], in: scratch, timeout: 60)
            try #require(made.status == 0, "\(made.stderr)")
            // Hold a listening socket on a loopback port for the whole test.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let listening = withUnsafeMutablePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0 }
            }
            try #require(listening)
            let port = Int(UInt16(bigEndian: addr.sin_port))
            let r = try runToEnd(Bin.coordinator, ["serve", "--store", store, "--http", "127.0.0.1:\(port)"], in: scratch, timeout: 20)
            #expect(r.exitedNormally && r.status == 1)
            #expect(r.stderr.contains("cannot serve HTTP on 127.0.0.1:\(port)") && r.stderr.contains("in use"), "\(r.stderr)")
        }

        @Test(.timeLimit(.minutes(4)))
        func serveFollowsARunningCoordinatorThroughItsStore() throws {
            try Bin.require()
            let scratch = try Scratch("web-serve")
            let children = Children(scratch)
            defer { children.killAll() }
            let sweep = try scratch.write("slow.yaml", noopSweep(name: "slow", count: 30, sleepMs: 300))
            let store = scratch.path("slow.sqlite")
            let coordinator = try children.start(Bin.coordinator, [
                "run", sweep, "--store", store, "--local-workers", "1", "--worker-slots", "1", "--heartbeat-ms", "200", "--stay",
            ], name: "coordinator")
            try #require(waitUntil(timeout: 60) { FileManager.default.fileExists(atPath: store) && coordinator.stderr.contains("hello from") },
                         "coordinator did not start\n\(children.diagnostics)")
            let serve = try children.start(Bin.coordinator, ["serve", "--store", store, "--http", "127.0.0.1:0", "--poll-seconds", "0.2"],
                                           name: "serve")
            var port = 0
            try #require(waitUntil(timeout: 30) {
                port = Browser.first("serving http://127\\.0\\.0\\.1:([0-9]+)/", in: serve.stdout).flatMap(Int.init) ?? 0
                return port > 0
            }, "serve printed no URL\n\(children.diagnostics)")

            func sweepView() throws -> [String: Any] {
                let data = try #require(httpGet(port: port, path: "/api/sweep"), "GET /api/sweep failed")
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            }
            func done(_ v: [String: Any]) -> Int { (v["counts"] as? [String: Any])?["done"] as? Int ?? -1 }
            let first = try sweepView()
            #expect(first["live"] as? Bool == true, "serve sees the coordinator's status row: \(first)")
            var last = done(first)
            try #require(waitUntil(timeout: 60, poll: 0.3) {
                let d = (try? sweepView()).map(done) ?? -1
                defer { last = max(last, d) }
                return d > done(first) && d > 0
            }, "done never rose past \(done(first)) through serve")

            // The event stream of `serve` pushes when the store changes under it.
            let events = try #require(httpGet(port: port, path: "/api/events?max=2"), "GET /api/events failed")
            #expect(String(decoding: events, as: UTF8.self).components(separatedBy: "event: update").count - 1 == 2)
            let metrics = String(decoding: try #require(httpGet(port: port, path: "/metrics")), as: UTF8.self)
            #expect(metrics.contains("urnn_jobs{state=\"done\"}"))

            // The coordinator runs on: serve took no lock and wrote nothing.
            #expect(coordinator.isRunning)
            try #require(waitUntil(timeout: 90) { (try? sweepView()).map(done) == 30 }, "the sweep did not finish\n\(children.diagnostics)")
            // The quiet terminal: the local worker's lines went to its log beside the store, not here.
            let workerLog = (try? String(contentsOfFile: scratch.path("slow.worker-0.log"), encoding: .utf8)) ?? ""
            #expect(WorkerLog.finished(workerLog).count == 30, "worker log beside the store:\n\(workerLog.suffix(1000))")
            #expect(WorkerLog.started(coordinator.stderr).isEmpty, "worker lines on the coordinator's terminal")
            #expect(coordinator.stderr.contains("their output goes to \(scratch.path("slow.worker-0.log"))"))
            serve.signal(SIGTERM)
            #expect(serve.waitExit(timeout: 10), "serve did not stop on SIGTERM")
            #expect(serve.process.terminationStatus == 0)
            coordinator.stop(grace: 10)
        }
    }
}
