import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator export --store FILE`: every stored result as JSON lines
/// (one `ResultRecord` per line: jobID, spec, outcome, provenance), for analysis elsewhere.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print every stored result as one JSON object per line.")

    @Option(help: "The SQLite results store.")
    var store: String

    func run() throws {
        // Errors exit 1 with the store's message (not a usage hint: the options were fine).
        let records = try loadRecords(storePath: store)
        var out = ""
        for r in records { out += try JSON.string(r) + "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
