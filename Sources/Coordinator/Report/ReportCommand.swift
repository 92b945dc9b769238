import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator report --store FILE [--out DIR]`: tables and figures from a results store.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write tables (CSV, Markdown) and figures (SVG) from a results store.",
        discussion: "Writes summary.csv, summary.md, fig-snr<SNR>.svg and, for ablation sweeps, ablation-<SWEEP>.md/.csv "
            + "into --out. See docs/SWEEPS.md."
    )

    @Option(help: "The results store (SQLite) of a sweep.")
    var store: String

    @Option(help: "Directory to write the report into.")
    var out: String = "report"

    @Option(name: .customLong("sweep"),
            help: "A sweep file or preset whose ablation view to write, in place of the store's copy of the same name (repeatable).")
    var sweeps: [String] = []

    func run() throws {
        let records = try loadRecords(storePath: store)
        var given: [Sweep] = []
        for name in sweeps {
            do { given.append(try SweepFile.load(pathOrPresetName: name)) } catch { throw CoordinatorError.setup("--sweep: \(error)") }
        }
        let names = Set(given.map(\.name))
        let all = given + (try storedSweeps(storePath: store)).filter { !names.contains($0.name) }
        let urls = try Report.write(records: records, sweeps: all, to: URL(fileURLWithPath: out, isDirectory: true))
        print("\(records.count) results -> " + urls.map(\.path).joined(separator: ", "))
        // Jobs without a result are not in the tables: say how many and why.
        let c = try Store(readingAt: store).counts()
        if c.failed + c.cancelled > 0 { print("without a result: \(c.failed) failed, \(c.cancelled) cancelled job(s)") }
    }
}

/// Every stored result of the store at `storePath`, opened read-only (`Store(readingAt:)`).
func loadRecords(storePath: String) throws -> [ResultRecord] {
    try Store(readingAt: storePath).allResults()
}

/// The sweeps recorded in the store at `storePath`, re-read from their stored definitions (a
/// definition this build cannot read, e.g. of a newer build, is left out: its jobs still count
/// in every table, only its ablation view is missing).
func storedSweeps(storePath: String) throws -> [Sweep] {
    let store = try Store(readingAt: storePath)
    return try store.sweeps().compactMap { try? SweepFile.parse(text: $0.definition, source: "stored sweep \($0.name)") }
}
