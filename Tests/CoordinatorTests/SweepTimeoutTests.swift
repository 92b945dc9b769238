import Foundation
import Testing
@testable import Coordinator
@testable import Shared

/// `timeout` and `timeout_retries` in sweep files: any job kind, bounded, run policy that
/// changes no job id.
@Suite struct SweepTimeoutTests {
    static let base = """
    name: t
    kind: noop
    fixed:
      count: 3
    """

    @Test func timeoutIsReadForEveryKindAndChangesNoJobID() throws {
        let plain = try SweepFile.parse(text: Self.base, source: "t")
        #expect(plain.timeout == nil && plain.timeoutRetries == 0)
        let limited = try SweepFile.parse(text: Self.base + "\ntimeout: 90\ntimeout_retries: 2\n", source: "t")
        #expect(limited.timeout == 90 && limited.timeoutRetries == 2)
        #expect(limited.jobs.map(\.id) == plain.jobs.map(\.id))
        let synthetic = try SweepFile.parse(text: SweepErrorTests.good + "\ntimeout: 0.5e4\n", source: "t")
        #expect(synthetic.timeout == 5000)
    }

    @Test(arguments: [
        ("timeout: 0", "must be in 1...2592000"),
        ("timeout: 2592001", "must be in 1...2592000"),
        ("timeout: soon", "expected a number of seconds"),
        ("timeout: nan", "expected a number of seconds"),
        ("timeout_retries: 11", "must be in 0...10"),
        ("timeout_retries: 1.5", "expected an integer"),
        ("timeout_retries: -1", "must be in 0...10"),
    ])
    func outOfBoundsValuesNameTheKeyAndLine(line: String, says: String) {
        do {
            _ = try SweepFile.parse(text: Self.base + "\n" + line + "\n", source: "bad.yaml")
            Issue.record("accepted \(line)")
        } catch let e as SweepError {
            #expect(e.field == String(line.split(separator: ":")[0]) && e.line == 5, "\(e)")
            #expect(e.message.contains(says), "\(e)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
