import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator plan SWEEP` (stub; the sweep module fills it).
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Print a sweep's job count and CPU-time estimate.")
    func run() throws { throw ValidationError("not implemented yet") }
}
