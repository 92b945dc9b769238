import ArgumentParser
import Foundation
import Shared

@main
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-worker",
        abstract: "Run URNNSweep jobs: standalone (`run`) or for a coordinator (`--connect`).",
        version: BuildInfo.version,
        subcommands: []
    )
}
