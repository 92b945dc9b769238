import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator check --store FILE`: is the store whole? Read-only; exit 0 when it is,
/// 1 with what is wrong (and the way out) when it is not. `run` makes the same check at start.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a results store is whole (SQLite quick_check, and every result decodes). Read-only.")

    @Option(help: "The SQLite results store.")
    var store: String

    func run() throws {
        let db = try Store(readingAt: store)
        try db.requireWhole()
        let counts = try db.counts()
        // Every stored row decodes: what export and report will need.
        let results = try db.allResults()
        _ = try db.failures()
        guard results.count == counts.done else {
            throw StoreError(.damaged, "store \(store) has \(counts.done) jobs marked done but \(results.count) readable results")
        }
        print("ok: \(store) is whole: \(counts.total) jobs, \(results.count) results, \(counts.failed) failed")
    }
}
