import Foundation
import Testing
@testable import Coordinator
@testable import Shared

/// Every kind of bad sweep file gives an error naming the field and the line.
@Suite struct SweepErrorTests {
    /// A valid synthetic sweep to break one line at a time (line numbers are 1-based).
    static let good = """
    name: t
    kind: synthetic
    grid:
      model: [rnn, urnn]
      hidden:
        - 2
        - 4
    fixed:
      snr: 20
      epochs: 2
    """

    func failure(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> SweepError? {
        do {
            let s = try SweepFile.parse(text: yaml, source: "bad.yaml")
            Issue.record("accepted a bad sweep (\(s.jobs.count) jobs)", sourceLocation: sourceLocation)
            return nil
        } catch let e as SweepError {
            return e
        } catch {
            Issue.record("wrong error type: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func expectError(_ yaml: String, field: String?, line: Int, containing text: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = failure(yaml, sourceLocation: sourceLocation) else { return }
        #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
        #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
        #expect(e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
        #expect(e.description.hasPrefix("bad.yaml:\(line): "), "\(e)", sourceLocation: sourceLocation)
    }

    /// `good` with line `n` (1-based) replaced.
    func replacing(line n: Int, with text: String) -> String {
        var lines = Self.good.components(separatedBy: "\n")
        lines[n - 1] = text
        return lines.joined(separator: "\n")
    }

    @Test func theBaseFileIsValid() throws {
        #expect(try SweepFile.parse(text: Self.good, source: "good.yaml").jobs.count == 4)
    }

    @Test func unknownKeys() {
        expectError(Self.good + "\nextra: 1", field: "extra", line: 11, containing: "unknown key")
        expectError(replacing(line: 9, with: "  snrr: 20"), field: "snrr", line: 9, containing: "unknown key for kind synthetic")
        expectError(replacing(line: 4, with: "  n: [1, 2]"), field: "n", line: 4, containing: "unknown key")
        expectError(Self.good + "\n  snr: 15", field: "snr", line: 11, containing: "duplicate key (first given on line 9)")
    }

    @Test func wrongTypes() {
        expectError(replacing(line: 7, with: "    - four"), field: "hidden", line: 7, containing: "expected an integer, got 'four'")
        expectError(replacing(line: 7, with: "    - 4.5"), field: "hidden", line: 7, containing: "expected an integer")
        expectError(replacing(line: 9, with: "  snr: loud"), field: "snr", line: 9, containing: "expected a number")
        expectError(replacing(line: 9, with: "  snr: .nan"), field: "snr", line: 9, containing: "expected a number")
        expectError(replacing(line: 10, with: "  epochs: [1, 2]"), field: "epochs", line: 10, containing: "expected a single value")
        expectError(replacing(line: 10, with: "  epochs: 1..3"), field: "epochs", line: 10, containing: "ranges belong under grid")
        expectError(replacing(line: 4, with: "  model: {a: 1}"), field: "model", line: 4, containing: "found a mapping")
        expectError(replacing(line: 4, with: "  model: [[rnn]]"), field: "model", line: 4, containing: "nested list")
        expectError(replacing(line: 9, with: "  normalize_a: maybe"), field: "normalize_a", line: 9, containing: "true or false")
        expectError("name: t\nkind: synthetic\ngrid: 7", field: "grid", line: 3, containing: "expected a mapping")
        expectError(replacing(line: 2, with: "kind: training"), field: "kind", line: 2, containing: "unknown job kind 'training'")
        expectError(replacing(line: 1, with: "name: a b"), field: "name", line: 1, containing: "expected a name")
    }

    @Test func emptyAxesAndBadRanges() {
        expectError(replacing(line: 4, with: "  model: []"), field: "model", line: 4, containing: "empty axis")
        expectError(replacing(line: 4, with: "  realization: 5..1\n  model: rnn"), field: "realization", line: 4, containing: "bad range '5..1'")
        expectError(replacing(line: 4, with: "  model: rnn\n  realization: 0..x"), field: "realization", line: 5, containing: "bad range")
        expectError(replacing(line: 9, with: "  snr: 10..20"), field: "snr", line: 9, containing: "expected a number")
        // A range on a non-integer field in the grid.
        expectError(replacing(line: 4, with: "  lr: 1..3\n  model: rnn"), field: "lr", line: 4, containing: "only for integer fields")
        expectError(replacing(line: 7, with: "    - 2"), field: "hidden", line: 7, containing: "appears twice in the axis (first on line 6)")
    }

    @Test func badValuesNameFieldAndLine() {
        expectError(replacing(line: 4, with: "  model: [rnn, gru]"), field: "model", line: 4, containing: "unknown model 'gru'")
        // A value out of its field's range is refused with the line of the list item, with the message
        // JobSpec.validate() gives (the range is declared once, in SyntheticSpec.fields).
        expectError(replacing(line: 7, with: "    - 0"), field: "hidden", line: 7, containing: "must be in 1...4096, got 0")
        expectError(replacing(line: 10, with: "  epochs: 0"), field: "epochs", line: 10, containing: "must be in 1...100000, got 0")
        expectError(replacing(line: 10, with: "  lr: -0.1"), field: "lr", line: 10, containing: "> 0")
        expectError(replacing(line: 10, with: "  clip: 0"), field: "clip", line: 10, containing: "> 0")
        expectError(replacing(line: 10, with: "  eps: 2"), field: "eps", line: 10, containing: "must be a finite number in (0, 1), got 2")
        // train >= sequences: named train, on its own line when written...
        expectError(Self.good + "\n  sequences: 100\n  train: 100", field: "train", line: 12, containing: "1..<sequences (100), got 100")
        // ...and on the line of the field it clashes with when it kept its default (700).
        expectError(Self.good + "\n  sequences: 100", field: "train", line: 11, containing: "(default value)")
    }

    @Test func structuralErrors() {
        expectError(replacing(line: 4, with: "  seed: 1"), field: "model", line: 3, containing: "missing")
        expectError(Self.good + "\n  hidden: 3", field: "hidden", line: 11, containing: "both in grid (line 5) and in fixed")
        expectError("kind: noop\nfixed:\n  count: 3", field: "name", line: 1, containing: "missing")
        expectError("name: x\nfixed:\n  count: 3", field: "kind", line: 1, containing: "missing")
        expectError("name: x\nkind: synthetic\ngrid:\n  model: [rnn\n  hidden: 2", field: nil, line: 5, containing: "YAML syntax")
        expectError("", field: nil, line: 1, containing: "empty sweep file")
        expectError("- a\n- b", field: nil, line: 1, containing: "expected a mapping")
        expectError("name: x\nkind: synthetic\ngrid:\n  realization: 0..9999999\n  model: rnn\n  hidden: [1, 2, 3]",
                    field: "realization", line: 4, containing: "more than")
    }

    @Test func theoremAndNoopErrors() throws {
        expectError("name: t1\nkind: theorem1\ngrid:\n  n: [1, 0]", field: "n", line: 4, containing: "must be in 1...256, got 0")
        expectError("name: t1\nkind: theorem1\ngrid:\n  seed: 0..3", field: "n", line: 3, containing: "missing")
        expectError("name: t1\nkind: theorem2\nfixed:\n  n: 2\n  hidden: 3", field: "hidden", line: 5, containing: "unknown key for kind theorem2")
        expectError("name: b\nkind: noop\ngrid:\n  token: [1]\nfixed:\n  count: 3", field: "count", line: 6, containing: "either count or token")
        expectError("name: b\nkind: noop\nfixed:\n  count: 0", field: "count", line: 4, containing: "must be in 1...2000000, got 0")
        expectError("name: b\nkind: noop\nfixed:\n  count: 99999999999", field: "count", line: 4, containing: "must be in 1...2000000, got 99999999999")
        expectError("name: b\nkind: noop\nfixed:\n  count: 2\n  sleep_ms: -1", field: "sleep_ms", line: 5, containing: "must be in 0...86400000, got -1")
        expectError("name: b\nkind: noop\ngrid:\n  count: 0..3", field: "count", line: 4, containing: "belongs under fixed")
        let ok = try SweepFile.parse(text: "name: b\nkind: noop\ngrid:\n  token: 5..7\nfixed:\n  sleep_ms: 20", source: "b")
        #expect(ok.jobs == [5, 6, 7].map { JobSpec(noop: NoopSpec(token: $0, sleepMilliseconds: 20)) })
    }

    @Test func missingFileOrPreset() {
        do { _ = try SweepFile.load(pathOrPresetName: "/nonexistent/sweep.yaml"); Issue.record("loaded a missing file") }
        catch let e as SweepError { #expect(e.message.contains("no preset") && e.message.contains("paper-fig2")) }
        catch { Issue.record("\(error)") }
    }
}
