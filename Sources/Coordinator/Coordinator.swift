import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator`: its commands. The executable (Sources/CoordinatorCLI) only calls `main()`;
/// the rest of the coordinator is this library, which `urnn-bench coordinator` links too.
public struct CoordinatorCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "urnn-coordinator",
        abstract: "Expand a sweep into jobs, hand them to workers over ZeroMQ, store and report results.",
        version: BuildInfo.build,
        subcommands: [RunSweepCommand.self, ServeCommand.self, PlanCommand.self, FieldsCommand.self, StatusCommand.self, ReportCommand.self, PauseCommand.self, ResumeCommand.self, CancelCommand.self, ExportCommand.self, ImportCommand.self, VerifyCommand.self, CheckCommand.self, KeygenCommand.self]
    )

    public init() {}

    public static func main() {
        BuildInfo.exitUnlessThisCPURunsThisBuild(program: "urnn-coordinator")
        main(nil)
    }
}
