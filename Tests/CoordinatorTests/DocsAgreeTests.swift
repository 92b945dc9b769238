import Foundation
import Shared
import Testing
@testable import Coordinator

/// Defaults the docs state, read from the docs and compared with the code (issue 10: the
/// guard_max_events default was 8 in SWEEPS.md and 20 in the code; the coordinator's liveness
/// 4 in PROTOCOL.md and 3 in the code and in WELCOME).
@Suite struct DocsAgreeTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    static func doc(_ name: String) throws -> String {
        try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func guardMaxEventsDefaultInSweepsDoc() throws {
        let row = try #require(try Self.doc("SWEEPS.md").split(separator: "\n").first { $0.hasPrefix("| `guard_max_events`") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Int(cells[2]) == TrainingConfig(epochs: 1).guardMaxEvents, "SWEEPS.md: \(row)")
        let gives = try #require(try Self.doc("EXPERIMENTS.md").range(of: "**Gives up** after ").map { r in
            try Self.doc("EXPERIMENTS.md")[r.upperBound...].prefix { $0.isNumber } })
        #expect(Int(gives) == TrainingConfig(epochs: 1).guardMaxEvents, "EXPERIMENTS.md says \(gives)")
    }

    @Test func livenessDefaultInProtocolDoc() throws {
        let text = try Self.doc("PROTOCOL.md")
        let liveness = Scheduler.Configuration(sessionID: "s").liveness
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("| liveness") })
        #expect(row.contains("(default \(liveness);"), "PROTOCOL.md WELCOME row: \(row)")
        #expect(text.contains("\"liveness\":\(liveness),"), "the WELCOME example")
        #expect(CoordinatorServer.Configuration(bind: "inproc://x").liveness == liveness)
    }
}
