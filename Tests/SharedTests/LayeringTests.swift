import Foundation
import Testing

/// The boundaries inside Shared that are a convention, not a module boundary (docs/ARCHITECTURE.md,
/// "One target or several"), checked on the source text so a change that crosses one fails here:
/// the protocol never touches sockets, and the kernels, models and trainers never see a job.
@Suite struct LayeringTests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Shared")

    /// Code lines (comments dropped) of every Swift file in `folder`, by file name.
    static func code(_ folder: String) throws -> [(file: String, lines: [String])] {
        let dir = shared.appendingPathComponent(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(!files.isEmpty, "no Swift files in \(folder)")
        return try files.map { name in
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let s = String(line)
                guard let r = s.range(of: "//") else { return s }
                return String(s[..<r.lowerBound])
            }
            return (name, lines)
        }
    }

    static func uses(_ folder: String, any words: [String]) throws -> [String] {
        var found: [String] = []
        for (file, lines) in try code(folder) {
            for (i, line) in lines.enumerated() {
                for w in words where line.range(of: "\\b\(w)\\b", options: .regularExpression) != nil {
                    found.append("\(folder)/\(file):\(i + 1): \(w)")
                }
            }
        }
        return found
    }

    @Test func protocolNeverTouchesSockets() throws {
        let socketWords = ["ZMQSocket", "ZMQContext", "ZMQPoll", "zmqPoll", "ZMQError", "CZmq", "zmq_[a-z_]+", "Endpoint"]
        let found = try Self.uses("Protocol", any: socketWords)
        #expect(found.isEmpty, "the protocol must stay free of sockets:\n\(found.joined(separator: "\n"))")
    }

    @Test(arguments: ["Kernels", "Models", "Training"])
    func theTrainingCoreNeverSeesAJob(_ folder: String) throws {
        let jobWords = ["JobSpec", "JobKind", "JobOutcome", "JobContext", "JobExecutor", "KindSchema", "SpecError",
                        "SyntheticSpec", "PMNISTSpec", "TheorySpec", "NoopSpec", "Message", "Metric"]
        let found = try Self.uses(folder, any: jobWords)
        #expect(found.isEmpty, "\(folder) must not know about jobs:\n\(found.joined(separator: "\n"))")
    }

    /// The check can fail: it finds a job type where there is one.
    @Test func theCheckFindsWhatIsThere() throws {
        #expect(try !Self.uses("Experiments", any: ["SyntheticSpec"]).isEmpty)
        #expect(try !Self.uses("Transport", any: ["ZMQSocket"]).isEmpty)
    }
}
