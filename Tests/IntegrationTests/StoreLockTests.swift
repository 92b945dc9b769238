import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// One coordinator per store: a second `run` on a store in use is refused at once and
    /// changes nothing; the lock dies with its holder, kill -9 included.
    @Suite struct OneCoordinatorPerStore {
        @Test(.timeLimit(.minutes(2)))
        func aSecondCoordinatorIsRefusedAndTheLockDiesWithTheFirst() throws {
            try Bin.require()
            let scratch = try Scratch("storelock")
            let children = Children(scratch)
            defer { children.killAll() }
            let cmd = Commands(scratch: scratch, children: children)
            let sweep = try scratch.write("lock.yaml", noopSweep(name: "integ-store-lock", count: 6, sleepMs: 50))
            let store = scratch.path("lock.sqlite")

            // The first coordinator has no workers: it holds the store and waits.
            let first = try cmd.coordinator(sweep: sweep, store: store, port: try freeLoopbackPort(), name: "coordinator-1")
            try #require(waitUntil(timeout: 30) { first.stderr.contains("listening on") }, "\(first.diagnostics)")

            let second = try cmd.coordinator(sweep: sweep, store: store, port: try freeLoopbackPort(), name: "coordinator-2")
            try #require(second.waitExit(timeout: 20), "the second coordinator did not give up\n\(children.diagnostics)")
            #expect(second.process.terminationReason == .exit && second.process.terminationStatus != 0)
            let pid = first.process.processIdentifier
            #expect(second.stderr.contains("is in use by another coordinator (pid \(pid) on "), "\(second.diagnostics)")
            #expect(!second.stderr.contains("listening on"), "the second coordinator bound a socket\n\(second.diagnostics)")
            #expect(first.process.isRunning, "the first coordinator died\n\(first.diagnostics)")
            let status = try cmd.status(store: store)  // readers take no lock
            #expect(status.total == 6 && status.done == 0)

            // kill -9 leaves the lock file behind but not the lock: the next run takes over and finishes.
            first.signal(SIGKILL)
            try #require(first.waitExit(timeout: 5))
            #expect(FileManager.default.fileExists(atPath: store + ".lock"))
            let port = try freeLoopbackPort()
            let third = try cmd.coordinator(sweep: sweep, store: store, port: port, name: "coordinator-3")
            _ = try cmd.worker(port: port, id: "integ-lock-\(getpid())", slots: 2, heartbeatMs: 200)
            try #require(third.waitExit(timeout: 60), "the third coordinator did not finish\n\(children.diagnostics)")
            #expect(third.process.terminationStatus == 0, "\(third.diagnostics)")
            let records = try cmd.export(store: store)
            #expect(records.count == 6 && records.duplicateIDs.isEmpty)
        }
    }
}
