import Foundation
import Shared
import Testing
@testable import Coordinator

/// `--where` parsing (bounded, every bad input a clear error) and matching on stored specs.
@Suite struct JobFilterTests {
    static func spec(_ model: ModelKind, hidden: Int, snr: Double = 20) -> Data {
        var s = SyntheticSpec(model: model, hidden: hidden)
        s.snrDB = snr
        return JobSpec(synthetic: s).canonicalJSON()
    }

    @Test func parsesAndMatchesSweepKeys() throws {
        let f = try JobFilter(parsing: " model = lstm , hidden=14")
        #expect(f.description == "model=lstm,hidden=14")
        #expect(f.matches(specJSON: Self.spec(.lstm, hidden: 14)))
        #expect(!f.matches(specJSON: Self.spec(.lstm, hidden: 12)))
        #expect(!f.matches(specJSON: Self.spec(.urnn, hidden: 14)))
        // A key whose JSON name differs (snr -> snrDB), numbers compared as numbers.
        #expect(try JobFilter(parsing: "snr=15.0").matches(specJSON: Self.spec(.rnn, hidden: 2, snr: 15)))
        #expect(try JobFilter(parsing: "kind=synthetic").matches(specJSON: Self.spec(.rnn, hidden: 2)))
        #expect(try !JobFilter(parsing: "kind=noop").matches(specJSON: Self.spec(.rnn, hidden: 2)))
        #expect(try JobFilter(parsing: "token=3").matches(specJSON: JobSpec(noop: NoopSpec(token: 3)).canonicalJSON()))
        #expect(try JobFilter(parsing: "").pairs.isEmpty && JobFilter.all.matches(specJSON: Data("{}".utf8)))
        let lstm = try JobFilter(parsing: "model=lstm")
        #expect(f.isNarrower(than: lstm) && !lstm.isNarrower(than: f))
    }

    @Test(arguments: [
        ("model", "is not key=value"),
        ("model=", "is not key=value"),
        ("=lstm", "is not key=value"),
        ("model=lstm,", "is not key=value"),
        ("modle=lstm", "unknown key 'modle'"),
        ("model=gru", "model=gru: expected one of"),
        ("hidden=two", "hidden=two: expected an integer"),
        ("hidden=1,hidden=2", "'hidden' is given twice"),
        ("kind=quantum", "kind=quantum: expected one of"),
        ("snr=nan", "snr=nan: expected"),
    ])
    func badInputIsAClearError(text: String, says: String) {
        #expect(throws: FilterError.self) { try JobFilter(parsing: text) }
        do { _ = try JobFilter(parsing: text) } catch { #expect(error.description.contains(says), "\(text): \(error)") }
    }

    @Test func sizeIsBounded() {
        let many = (0..<17).map { "hidden=\($0)" }.joined(separator: ",")
        do { _ = try JobFilter(parsing: many); Issue.record("17 pairs accepted") } catch { #expect(error.description.contains("at most 16")) }
        let long = "model=" + String(repeating: "x", count: 1100)
        do { _ = try JobFilter(parsing: long); Issue.record("1106 characters accepted") } catch { #expect(error.description.contains("at most 1024")) }
    }
}
