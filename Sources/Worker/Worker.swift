import ArgumentParser
import Foundation
import Shared

/// `urnn-worker --connect tcp://HOST:5555 [--slots N]` serves a coordinator;
/// `urnn-worker run ...` runs one synthetic job standalone;
/// `urnn-worker theory theorem1 ...` runs one theorem demonstration.
@main
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-worker",
        abstract: "Run URNNSweep jobs: standalone (`run`, `theory`) or for a coordinator (`--connect`).",
        version: BuildInfo.build,
        subcommands: [RunCommand.self, ExecCommand.self, TheoryCommand.self]
    )

    static func main() {
        BuildInfo.exitUnlessThisCPURunsThisBuild(program: "urnn-worker")
        main(nil)
    }

    @OptionGroup var serve: ServeOptions

    func run() throws {
        try ServeCommand.serve(serve)
    }
}
