import ArgumentParser
import Foundation
import Shared

@main
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-coordinator",
        abstract: "Expand a sweep into jobs, hand them to workers over ZeroMQ, store and report results.",
        version: BuildInfo.build,
        subcommands: [RunSweepCommand.self, ServeCommand.self, PlanCommand.self, StatusCommand.self, ReportCommand.self, ExportCommand.self, ImportCommand.self, VerifyCommand.self, CheckCommand.self, KeygenCommand.self, BenchCommand.self]
    )

    static func main() {
        BuildInfo.exitUnlessThisCPURunsThisBuild(program: "urnn-coordinator")
        main(nil)
    }
}
