import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator status --store FILE`: progress of a running or stopped sweep, read-only.
/// "running" means a process holds the store's lock (`StoreLock`), not that a status row is fresh.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the progress of a running or stopped sweep from its store.")

    @Option(help: "The SQLite results store.")
    var store: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        // Read-only; a file that is not a store, or a damaged one, is an error (exit 1), and
        // no figure is printed that was not read from a store found whole.
        let db = try Store(readingAt: store)
        try db.requireWhole()
        let c = try db.counts()
        let pauseRules = try db.steeringRules().filter { $0.verb == .pause }
        func describe(_ r: SteeringRule) -> String { (r.sweep ?? "every sweep") + (r.filter.pairs.isEmpty ? "" : " where \(r.filter)") }
        let live = try db.readStatus()
        // The store's lock says whether a coordinator runs; the status row only adds figures.
        let holder = StoreLock.holder(storePath: store)
        let running = holder != nil
        let snap = ProgressSnapshot(total: c.total, done: c.done, running: c.leased, pending: c.pending,
                                    failed: c.failed, diverged: c.diverged,
                                    workersAlive: running ? (live?.workersAlive ?? 0) : 0,
                                    jobsPerMinute: running ? live?.jobsPerMinute : nil, cancelled: c.cancelled)
        if json {
            struct Out: Codable {
                var total, done, pending, leased, failed, cancelled, diverged, workersAlive: Int
                var jobsPerMinute, etaSeconds: Double?
                var coordinator: String
                var paused: [String]
            }
            let out = Out(total: c.total, done: c.done, pending: c.pending, leased: c.leased, failed: c.failed,
                          cancelled: c.cancelled, diverged: c.diverged, workersAlive: snap.workersAlive,
                          jobsPerMinute: snap.jobsPerMinute, etaSeconds: snap.etaSeconds,
                          coordinator: running ? "running" : "stopped", paused: pauseRules.map(describe))
            print(try JSON.string(out))
            return
        }
        let sweeps = (try? db.sweeps().map(\.name).joined(separator: ", ")) ?? ""
        print("store: \(store)\(sweeps.isEmpty ? "" : "  sweep: \(sweeps)")")
        if let holder {
            let details = live.map { ", \($0.endpoint), session \($0.sessionID)" } ?? ""
            print("coordinator: running (\(holder)\(details))")
        } else {
            print("coordinator: not running" + (c.pending + c.leased == 0 && c.total > 0 ? " (sweep complete)" : ""))
        }
        print(snap.line)
        for r in pauseRules { print("paused: \(describe(r)) (rule \(r.id); `urnn-coordinator resume` lifts it)") }
        let failures = (try? db.failures()) ?? []
        for f in failures.prefix(10) { print("failed \(f.jobID) \(f.spec.summary): \(f.lastError ?? "?")") }
        if failures.count > 10 { print("... and \(failures.count - 10) more failed jobs") }
    }
}
