import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator status --store FILE`: progress of a running or stopped sweep.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the progress of a running or stopped sweep from its store.")

    @Option(help: "The SQLite results store.")
    var store: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let db: Store
        do { db = try Store(path: store, create: false) } catch { throw ValidationError("\(error)") }
        let c = try db.counts()
        let live = try db.readStatus()
        let now = Date().timeIntervalSince1970
        // A coordinator that has not written for 5 s is presumed gone.
        let running = live.map { !$0.stopped && now - $0.updatedAt < 5 } ?? false
        let snap = ProgressSnapshot(total: c.total, done: c.done, running: c.leased, pending: c.pending,
                                    failed: c.failed, diverged: c.diverged,
                                    workersAlive: running ? (live?.workersAlive ?? 0) : 0,
                                    jobsPerMinute: running ? live?.jobsPerMinute : nil)
        if json {
            struct Out: Codable {
                var total, done, pending, leased, failed, diverged, workersAlive: Int
                var jobsPerMinute, etaSeconds: Double?
                var coordinator: String
            }
            let out = Out(total: c.total, done: c.done, pending: c.pending, leased: c.leased, failed: c.failed,
                          diverged: c.diverged, workersAlive: snap.workersAlive, jobsPerMinute: snap.jobsPerMinute,
                          etaSeconds: snap.etaSeconds, coordinator: running ? "running" : "stopped")
            print(try JSON.string(out))
            return
        }
        let sweeps = (try? db.sweeps().map(\.name).joined(separator: ", ")) ?? ""
        print("store: \(store)\(sweeps.isEmpty ? "" : "  sweep: \(sweeps)")")
        if let l = live, running {
            print("coordinator: running (pid \(l.pid), \(l.endpoint), session \(l.sessionID))")
        } else {
            print("coordinator: not running" + (c.pending + c.leased == 0 && c.total > 0 ? " (sweep complete)" : ""))
        }
        print(snap.line)
        let failures = (try? db.failures()) ?? []
        for f in failures.prefix(10) { print("failed \(f.jobID) \(f.spec.summary): \(f.lastError ?? "?")") }
        if failures.count > 10 { print("... and \(failures.count - 10) more failed jobs") }
    }
}
