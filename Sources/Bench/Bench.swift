import ArgumentParser
import Foundation
import Shared

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-bench",
        abstract: "Benchmarks of the training core and the coordinator."
    )
}
