import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator report --store FILE [--out DIR]`: tables and figures from a results store.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write tables (CSV, Markdown) and figures (SVG) from a results store.",
        discussion: "Writes summary.csv, summary.md and fig-snr<SNR>.svg into --out. See docs/SWEEPS.md."
    )

    @Option(help: "The results store (SQLite) of a sweep.")
    var store: String

    @Option(help: "Directory to write the report into.")
    var out: String = "report"

    func run() throws {
        let records = try loadRecords(storePath: store)
        let urls = try Report.write(records: records, to: URL(fileURLWithPath: out, isDirectory: true))
        print("\(records.count) results -> " + urls.map(\.path).joined(separator: ", "))
    }
}

/// Every stored result of the store at `storePath`, opened read-only (`Store(readingAt:)`).
func loadRecords(storePath: String) throws -> [ResultRecord] {
    try Store(readingAt: storePath).allResults()
}
