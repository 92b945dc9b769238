import Foundation
import Shared
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Processes around the store (issue 10, "Processes"): counts bounded before anything forks,
/// local workers that die with their coordinator however it dies, local sweeps that need no
/// fixed port, and workers that give up when their coordinator is gone for good.
///
/// Process budget: no test here starts more than 3 coordinators and 2 workers at once, and each
/// kills what it started by pid. The fork-bomb test points the worker binary at a file that does
/// not exist, so even a regression that forks before checking the count cannot start a process.
extension LiveSweeps {
    @Suite struct ProcessLifetime {
        /// `run --local-workers 100000` is refused before the store is touched or anything forks.
        @Test(.timeLimit(.minutes(1)))
        func localWorkersAreBoundedBeforeAnythingStarts() throws {
            try Bin.require()
            let scratch = try Scratch("forkbomb")
            let children = Children(scratch)
            defer { children.killAll() }
            let sweep = try scratch.write("bound.yaml", noopSweep(name: "integ-bound", count: 2, sleepMs: 0))
            let store = scratch.path("bound.sqlite")
            let limit = 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)
            // Safety net: no worker binary exists, so nothing can be forked whatever the coordinator does.
            let noWorker = ["URNN_WORKER_BINARY": scratch.path("no-such-worker")]
            func run(_ args: [String]) throws -> Child {
                let c = try children.start(Bin.coordinator, ["run", sweep, "--store", store, "--report", scratch.path("r")] + args,
                                           name: "bound-\(children.all.count)", environment: noWorker)
                try #require(c.waitExit(timeout: 20), "run \(args) did not end\n\(c.diagnostics)")
                return c
            }
            for (args, range) in [(["--local-workers", "100000"], "0...\(limit)"),
                                  (["--local-workers", "-1"], "0...\(limit)"),
                                  (["--local-workers", String(limit + 1)], "0...\(limit)"),
                                  (["--local-workers", "100000", "--allow-many-local-workers"], "0...1024"),
                                  (["--local-workers", "2", "--worker-slots", "100000"], "1...1024"),
                                  (["--local-workers", "2", "--worker-slots", "0"], "1...1024")] {
                let c = try run(args)
                #expect(c.process.terminationReason == .exit && c.process.terminationStatus != 0, "\(args): \(c.diagnostics)")
                let option = args.contains("--worker-slots") ? "--worker-slots" : "--local-workers"
                #expect(c.stderr.contains("\(option) must be in \(range)"), "\(args): \(c.stderr)")
                if option == "--local-workers" && !args.contains("--allow-many-local-workers") {
                    #expect(c.stderr.contains("--allow-many-local-workers"), "the message does not name the override: \(c.stderr)")
                }
                #expect(!c.stderr.contains("Missing value"), "\(args): \(c.stderr)")
                #expect(!FileManager.default.fileExists(atPath: store), "\(args): a refused run created its store")
            }
            // The override is honoured (and still starts nothing here: there is no worker binary).
            let over = try run(["--local-workers", String(limit + 1), "--allow-many-local-workers"])
            #expect(over.process.terminationStatus != 0)
            #expect(over.stderr.contains("cannot start local worker 1 of \(limit + 1)"), "\(over.diagnostics)")
        }

        /// kill -9 of `run --local-workers 2`: both workers exit within seconds instead of
        /// retrying forever with parent 1 (and joining the next coordinator on that port).
        @Test(.timeLimit(.minutes(2)))
        func localWorkersDieWithAKilledCoordinator() throws {
            try Bin.require()
            let scratch = try Scratch("orphans")
            let children = Children(scratch)
            defer { children.killAll() }
            let sweep = try scratch.write("orphans.yaml", noopSweep(name: "integ-orphans", count: 40, sleepMs: 2000))
            let port = try freeLoopbackPort()   // explicit, so not even a regression can use a fixed port
            let coordinator = try children.start(
                Bin.coordinator, ["run", sweep, "--store", scratch.path("orphans.sqlite"), "--report", scratch.path("r"),
                                  "--local-workers", "2", "--worker-slots", "1", "--bind", "tcp://127.0.0.1:\(port)", "--verbose"],
                name: "coordinator", environment: ["URNN_LOG_LEVEL": "info"])
            var pids: [Int32] = []
            defer { killIfWorker(pids) }
            let busy = waitUntil(timeout: 60, poll: 0.05) {
                pids = workerChildren(of: coordinator.pid)
                return pids.count == 2 && WorkerLog.started(coordinator.stderr).count >= 2
            }
            try #require(busy, "the local workers never started jobs\n\(coordinator.diagnostics)")
            coordinator.signal(SIGKILL)
            try #require(coordinator.waitExit(timeout: 10))
            let gone = waitUntil(timeout: 15, poll: 0.1) { pids.allSatisfy { !isAlive($0) } }
            #expect(gone, "local workers outlived their coordinator: \(pids.filter(isAlive))\n\(coordinator.diagnostics)")
            #expect(coordinator.stderr.contains("stopping (SIGTERM)"), "the workers did not stop on their own\n\(coordinator.diagnostics)")
        }

        /// `run --local-workers 2` that fails mid-sweep (its disk fills up: a 1 MiB tmpfs the test
        /// fills once the workers are busy) exits with an error, and its workers go with it.
        @Test(.timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
        func localWorkersStopWhenRunFailsOnAFullDisk() throws {
            try Bin.require()
            let scratch = try Scratch("diskfull")
            let children = Children(scratch)
            defer { children.killAll() }
            let disk = scratch.path("disk")
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            let mount = try runToEnd(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk], in: scratch)
            try #require(mount.status == 0, "cannot mount a tmpfs: \(mount.stderr)")
            defer { _ = try? runToEnd(URL(fileURLWithPath: "/bin/umount"), ["-l", disk], in: scratch) }
            let sweep = try scratch.write("full.yaml", noopSweep(name: "integ-diskfull", count: 400, sleepMs: 50))
            let port = try freeLoopbackPort()
            let coordinator = try children.start(
                Bin.coordinator, ["run", sweep, "--store", disk + "/full.sqlite", "--report", scratch.path("r"),
                                  "--local-workers", "2", "--worker-slots", "2", "--bind", "tcp://127.0.0.1:\(port)", "--verbose"],
                name: "coordinator", environment: ["URNN_LOG_LEVEL": "info"])
            var pids: [Int32] = []
            defer { killIfWorker(pids) }
            let busy = waitUntil(timeout: 60, poll: 0.05) {
                pids = workerChildren(of: coordinator.pid)
                return pids.count == 2 && WorkerLog.finished(coordinator.stderr).count >= 4
            }
            try #require(busy, "the local workers never finished jobs\n\(coordinator.diagnostics)")
            // Fill the disk: the store's next commit fails with SQLITE_FULL.
            _ = try runToEnd(URL(fileURLWithPath: "/bin/sh"), ["-c", "cat /dev/zero > '\(disk)/filler'"], in: scratch)
            try #require(coordinator.waitExit(timeout: 30), "the coordinator went on with a full disk\n\(coordinator.diagnostics)")
            #expect(coordinator.process.terminationReason == .exit && coordinator.process.terminationStatus != 0,
                    "\(coordinator.diagnostics)")
            let gone = waitUntil(timeout: 15, poll: 0.1) { pids.allSatisfy { !isAlive($0) } }
            #expect(gone, "local workers outlived the failed run: \(pids.filter(isAlive))\n\(coordinator.diagnostics)")
        }

        /// Two local sweeps at once on one machine, neither with --bind: each listens on a port
        /// of its own (printed in its log), both finish. Run in a network namespace of their own,
        /// so the old default (the fixed port 5555) can only collide with itself.
        @Test(.timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "needs root for a private network namespace"))
        func twoLocalSweepsNeedNoPort() throws {
            try Bin.require()
            let scratch = try Scratch("localport")
            let children = Children(scratch)
            defer { children.killAll() }
            var script = "set -e; ip link set lo up; "
            for i in 0..<2 {
                let sweep = try scratch.write("local\(i).yaml", noopSweep(name: "integ-local\(i)", count: 6, sleepMs: 300))
                script += "'\(Bin.coordinator.path)' run '\(sweep)' --store '\(scratch.path("local\(i).sqlite"))' "
                    + "--report '\(scratch.path("r\(i)"))' --local-workers 1 --worker-slots 1 "
                    + "> '\(scratch.path("c\(i).out"))' 2> '\(scratch.path("c\(i).err"))' & p\(i)=$!; "
            }
            script += "s=0; wait $p0 || s=1; wait $p1 || s=$((s+2)); exit $s"
            let both = try children.start(URL(fileURLWithPath: "/usr/bin/unshare"), ["-n", "sh", "-c", script], name: "netns")
            let logs = { (0..<2).map { (try? String(contentsOfFile: scratch.path("c\($0).err"), encoding: .utf8)) ?? "" } }
            try #require(both.waitExit(timeout: 90), "the two sweeps did not end\n\(both.diagnostics)\n\(logs())")
            try #require(!both.stderr.contains("unshare:"), "cannot make a network namespace here: \(both.stderr)")
            #expect(both.process.terminationStatus == 0, "status \(both.process.terminationStatus)\n\(logs().joined(separator: "\n"))")
            var ports: [Int] = []
            for log in logs() {
                let port = log.range(of: "listening on tcp://127.0.0.1:").flatMap { r in Int(log[r.upperBound...].prefix { $0.isNumber }) }
                #expect(port != nil, "no endpoint in the log:\n\(log)")
                if let port { ports.append(port) }
            }
            #expect(ports.count == 2 && Set(ports).count == 2 && !ports.contains(5555), "ports \(ports)")
        }

        /// A worker whose coordinator is gone (never there, here) exits with status 0 after
        /// --exit-when-idle seconds without a session or a job, instead of retrying forever.
        @Test(.timeLimit(.minutes(1)))
        func workerWithoutACoordinatorExitsWhenIdle() throws {
            try Bin.require()
            let scratch = try Scratch("idle")
            let children = Children(scratch)
            defer { children.killAll() }
            let port = try freeLoopbackPort()
            let started = Date()
            let w = try children.start(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--exit-when-idle", "2",
                                                   "--heartbeat-ms", "200", "--id", "integ-idle-\(getpid())"], name: "idle")
            try #require(w.waitExit(timeout: 20), "the idle worker did not exit\n\(w.diagnostics)")
            let took = Date().timeIntervalSince(started)
            #expect(w.process.terminationReason == .exit && w.process.terminationStatus == 0, "\(w.diagnostics)")
            #expect(took >= 2 && took < 12, "exited after \(took) s")
            #expect(w.stderr.contains("--exit-when-idle") && w.stderr.contains("reconnecting in"), "\(w.diagnostics)")
            for bad in ["0", "-1", "nan"] {
                let f = try runToEnd(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--exit-when-idle", bad], in: scratch, timeout: 10)
                #expect(f.exitedNormally && f.status != 0 && f.stderr.contains("--exit-when-idle must be"), "\(bad): \(f.stderr)")
            }
        }
    }
}

/// The live `urnn-worker` children of `parent` (from /proc: independent of any log format).
func workerChildren(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, Int32(fields[1]) == parent else { return false }
        let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        return cmd.contains("urnn-worker") && isAlive(pid)
    }.sorted()
}

/// A process that exists and is not a zombie (an orphan's zombie waits for a reaper that may not come).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return kill(pid, 0) == 0 }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
    return state != "Z" && state != "X"
}

/// SIGKILLs each pid that is still an `urnn-worker` (checked, so a reused pid is never hit).
func killIfWorker(_ pids: [Int32]) {
    for pid in pids where isAlive(pid) {
        let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        if cmd.contains("urnn-worker") { kill(pid, SIGKILL) }
    }
}
