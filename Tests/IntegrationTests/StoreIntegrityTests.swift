import Foundation
import Shared
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The store as the commands see it (issue 10, "Store integrity"): readers never write, a file
/// that is not a store says so, damage is found and refused with the way out, read-only media
/// can be read, and `status` trusts the store's lock, not a stale status row.
extension LiveSweeps {
    @Suite struct StoreIntegrity {
        static let jobs = 12

        /// A finished noop sweep of `jobs` jobs in a fresh scratch folder (the coordinator has exited,
        /// so the WAL is merged into the file).
        static func finishedStore(_ label: String) throws -> (Scratch, String) {
            try Bin.require()
            let scratch = try Scratch(label)
            let sweep = try scratch.write("\(label).yaml", noopSweep(name: "integ-\(label)", count: jobs, sleepMs: 0))
            let store = scratch.path("\(label).sqlite")
            let f = try runToEnd(Bin.coordinator, ["run", sweep, "--store", store, "--report", scratch.path("report"),
                                                   "--local-workers", "1", "--worker-slots", "2"], in: scratch, timeout: 60)
            try #require(f.status == 0, "the sweep failed: \(f.stderr)")
            return (scratch, store)
        }

        /// Overwrites every B-tree page of the given SQLite page types (past its 8-byte header)
        /// whose bytes contain `containing` (when given) with garbage; returns how many.
        static func damage(_ path: String, pageTypes: Set<UInt8>, containing: String? = nil) throws -> Int {
            var d = try Data(contentsOf: URL(fileURLWithPath: path))
            let raw = Int(d[16]) << 8 | Int(d[17])
            let pageSize = raw == 1 ? 65536 : raw
            var hit = 0
            for page in 1..<(d.count / pageSize) {   // page 1 (index 0) holds the schema: leave it
                let off = page * pageSize
                guard pageTypes.contains(d[off]) else { continue }
                if let c = containing, d[off..<(off + pageSize)].range(of: Data(c.utf8)) == nil { continue }
                d.replaceSubrange((off + 8)..<(off + pageSize), with: Data(repeating: 0xAB, count: pageSize - 8))
                hit += 1
            }
            try d.write(to: URL(fileURLWithPath: path))
            return hit
        }

        /// Damaged index pages: `status` and `check` exit 1 saying "damaged" instead of reporting
        /// 100% done; `run` refuses the store and names the way out (export, import, restore).
        @Test(.timeLimit(.minutes(2)))
        func damagedIndexPagesAreFoundAndRunRefusesTheStore() throws {
            let (scratch, store) = try Self.finishedStore("badindex")
            let hit = try Self.damage(store, pageTypes: [0x0A, 0x02])
            try #require(hit > 0, "no index page found to damage")
            for args in [["status", "--store", store], ["status", "--store", store, "--json"], ["check", "--store", store]] {
                let f = try runToEnd(Bin.coordinator, args, in: scratch)
                #expect(f.exitedNormally && f.status == 1, "\(args): status \(f.status)\n\(f.stdout)\n\(f.stderr)")
                #expect(f.stderr.contains("is damaged") && !f.stdout.contains("done"), "\(args):\n\(f.stdout)\n\(f.stderr)")
            }
            let sweep = scratch.path("badindex.yaml")
            let run = try runToEnd(Bin.coordinator, ["run", sweep, "--store", store, "--report", scratch.path("r2"),
                                                     "--local-workers", "1"], in: scratch, timeout: 60)
            #expect(run.exitedNormally && run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("is damaged") && run.stderr.contains("export --store") && run.stderr.contains("backup"),
                    "\(run.stderr)")
            #expect(!run.stdout.contains("report:"), "a refused run printed its report line")
        }

        /// Garbage over the results' data pages: `run` on the store is refused at start (before:
        /// "sweep finished", "report: DIR", exit 0, and no DIR); `report` fails with a non-zero exit.
        @Test(.timeLimit(.minutes(2)))
        func damagedResultPagesFailRunAndReport() throws {
            let (scratch, store) = try Self.finishedStore("baddata")
            try #require(try Self.damage(store, pageTypes: [0x0D], containing: "\"metrics\"") > 0, "no result page found")
            let report = scratch.path("r3")
            let run = try runToEnd(Bin.coordinator, ["run", scratch.path("baddata.yaml"), "--store", store, "--report", report,
                                                     "--local-workers", "1"], in: scratch, timeout: 60)
            #expect(run.exitedNormally && run.status != 0, "run exited \(run.status)\n\(run.stdout)\n\(run.stderr)")
            #expect(!run.stdout.contains("report: "), "\(run.stdout)")
            let rep = try runToEnd(Bin.coordinator, ["report", "--store", store, "--out", report], in: scratch)
            #expect(rep.exitedNormally && rep.status != 0, "report exited \(rep.status)\n\(rep.stdout)")
            #expect(rep.stderr.contains("damaged") || rep.stderr.contains("malformed"), "\(rep.stderr)")
        }

        /// A zero-byte file and a text file given as the store: every reader says "not a store",
        /// without a usage hint, exits non-zero, and leaves the file byte for byte as it was.
        @Test func readersRefuseAFileThatIsNotAStoreAndNeverWriteIt() throws {
            try Bin.require()
            let scratch = try Scratch("notastore")
            let empty = try scratch.write("empty.sqlite", "")
            let text = try scratch.write("notes.sqlite", "name: not a store\n")
            for file in [empty, text] {
                let before = try Data(contentsOf: URL(fileURLWithPath: file))
                for args in [["status", "--store", file], ["export", "--store", file], ["check", "--store", file],
                             ["report", "--store", file, "--out", scratch.path("r")]] {
                    let f = try runToEnd(Bin.coordinator, args, in: scratch)
                    #expect(f.exitedNormally && f.status != 0, "\(args): \(f.status)")
                    #expect(f.stderr.contains("is not a store"), "\(args): \(f.stderr)")
                    #expect(!f.stderr.contains("Usage:"), "\(args) printed a usage hint: \(f.stderr)")
                }
                #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before, "\(file) was written")
                #expect(!FileManager.default.fileExists(atPath: file + "-wal"), "a reader created \(file)-wal")
            }
            // `run` does not adopt a file that is not a store either.
            let f = try runToEnd(Bin.coordinator, ["run", try scratch.write("s.yaml", noopSweep(name: "integ-nas", count: 1, sleepMs: 0)),
                                                   "--store", text, "--local-workers", "1"], in: scratch)
            #expect(f.status != 0 && f.stderr.contains("is not a store"), "\(f.stderr)")
            #expect(try String(contentsOfFile: text, encoding: .utf8) == "name: not a store\n")
        }

        /// A finished store on a read-only mount: `status`, `export`, `check` and `report` read it.
        @Test(.timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "needs root for a read-only bind mount"))
        func finishedStoreOnReadOnlyMediaCanBeRead() throws {
            let (scratch, store) = try Self.finishedStore("readonly")
            let expected = try Commands(scratch: scratch, children: Children(scratch)).export(store: store)
            let ro = scratch.path("ro")
            try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
            let mount = try runToEnd(URL(fileURLWithPath: "/bin/sh"), ["-c", "mount --bind '\(scratch.url.path)' '\(ro)' && mount -o remount,ro,bind '\(ro)'"], in: scratch)
            try #require(mount.status == 0, "cannot make a read-only bind mount: \(mount.stderr)")
            defer { _ = try? runToEnd(URL(fileURLWithPath: "/bin/umount"), [ro], in: scratch) }
            let roStore = ro + "/readonly.sqlite"
            try #require(access(ro, W_OK) != 0, "the mount is writable")
            let status = try runToEnd(Bin.coordinator, ["status", "--store", roStore], in: scratch)
            #expect(status.status == 0 && status.stdout.contains("\(Self.jobs)/\(Self.jobs) done"), "\(status.stdout)\n\(status.stderr)")
            let export = try runToEnd(Bin.coordinator, ["export", "--store", roStore], in: scratch)
            #expect(export.status == 0 && export.stdout.split(separator: "\n").count == expected.count, "\(export.stderr)")
            let check = try runToEnd(Bin.coordinator, ["check", "--store", roStore], in: scratch)
            #expect(check.status == 0 && check.stdout.contains("ok"), "\(check.stderr)")
            let report = try runToEnd(Bin.coordinator, ["report", "--store", roStore, "--out", scratch.path("rep")], in: scratch)
            #expect(report.status == 0, "\(report.stderr)")
        }

        /// Right after kill -9 of the coordinator, `status` says "stopped" (the lock is free), not
        /// "running (pid N)" of a dead process for the seconds its status row stays fresh.
        @Test(.timeLimit(.minutes(2)))
        func statusRightAfterACrashSaysStopped() throws {
            try Bin.require()
            let scratch = try Scratch("crashstatus")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("c.yaml", noopSweep(name: "integ-crashstatus", count: 30, sleepMs: 500))
            let store = scratch.path("c.sqlite")
            let port = try freeLoopbackPort()
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--heartbeat-ms", "200"])
            _ = try cmd.worker(port: port, id: "integ-crash-\(getpid())", slots: 2, heartbeatMs: 200)
            let live = try waitUntil(timeout: 30, poll: 0.2) {
                guard FileManager.default.fileExists(atPath: store), coordinator.stderr.contains("listening on") else { return false }
                return try cmd.status(store: store).coordinator == "running"
            }
            try #require(live, "status never said running\n\(children.diagnostics)")
            coordinator.signal(SIGKILL)
            try #require(coordinator.waitExit(timeout: 10))
            let after = try cmd.status(store: store)
            #expect(after.coordinator == "stopped" && after.workersAlive == 0, "\(after)")
        }
    }
}
