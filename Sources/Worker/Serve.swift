import ArgumentParser
import Foundation
import Shared

/// Options of the serving mode (stub; the worker runtime fills it).
struct ServeOptions: ParsableArguments {
    @Option(help: "Coordinator endpoint, e.g. tcp://127.0.0.1:5555.") var connect: String?
    @Option(help: "Jobs run at once (default: the machine's cores).") var slots: Int?
}

enum ServeCommand {
    static func serve(_ options: ServeOptions) throws {
        guard options.connect != nil else { throw ValidationError("give --connect ENDPOINT, or a subcommand (see --help)") }
        throw ValidationError("serving is not implemented yet")
    }
}
