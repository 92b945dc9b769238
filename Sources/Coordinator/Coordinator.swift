import ArgumentParser
import Foundation
import Shared

@main
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-coordinator",
        abstract: "Expand a sweep into jobs, hand them to workers over ZeroMQ, store and report results.",
        version: BuildInfo.version,
        subcommands: [RunSweepCommand.self, PlanCommand.self, StatusCommand.self, ReportCommand.self, ExportCommand.self, KeygenCommand.self, BenchCommand.self]
    )
}
