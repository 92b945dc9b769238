import ArgumentParser
import Foundation
import Shared

/// `urnn-worker theory theorem1 --n 4 --seed 1` (stub; the theory module fills it).
struct TheoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "theory", abstract: "Run one theorem demonstration standalone.")
    func run() throws { throw ValidationError("not implemented yet") }
}
