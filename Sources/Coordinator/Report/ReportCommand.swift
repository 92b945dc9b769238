import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator report --store FILE --out DIR` (stub; the report module fills it).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Write tables and figures from a results store.")
    func run() throws { throw ValidationError("not implemented yet") }
}
