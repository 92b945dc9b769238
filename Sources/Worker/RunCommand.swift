import ArgumentParser
import Foundation
import Shared

/// `urnn-worker run --model urnn --hidden 8 --snr 20 --realization 3` (stub; the training core fills it).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one synthetic job standalone and print its metrics.")
    func run() throws { throw ValidationError("not implemented yet") }
}
