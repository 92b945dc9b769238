import Foundation
import Testing
@testable import Shared

@Suite struct TheoryModelFileTests {
    static let good = """
    {"format": "urnnsweep.rnn.v1", "activation": "relu",
     "W": [[0.5, 0.1], [0.0, 0.3]], "F": [[1.0], [-1.0]], "b": [0.1, -0.2],
     "C": [[1.0, 2.0]], "c": [0.5], "h0": [0.0, 1.0], "inputBound": 2}
    """

    /// Replaces `from` in the good file by `to` and returns the load error's description.
    func loadError(_ from: String, _ to: String) -> String? {
        let text = Self.good.replacingOccurrences(of: from, with: to)
        precondition(text != Self.good, "pattern \(from) not found")
        do { _ = try RNNModel.load(json: Data(text.utf8)); return nil } catch { return error.description }
    }

    @Test func readsTheDocumentedFormat() throws {
        let m = try RNNModel.load(json: Data(Self.good.utf8))
        #expect(m.n == 2 && m.inputCount == 1 && m.outputCount == 1)
        #expect(m.W[0, 1] == 0.1 && m.inputBound == 2 && m.h0 == [0, 1])
    }

    @Test func exportRoundTripsExactly() throws {
        for seed in 0..<20 {
            var rng = Xoshiro256(seed: UInt64(seed), stream: "test.roundtrip")
            let rnn = try Theorem1.randomRNN(n: 1 + seed % 7, inputs: 3, outputs: 2, wNorm: 0.97, inputBound: 1.5, rng: &rng)
            let urnn = try UnitaryDilation.construct(rnn).urnn
            for model in [rnn, urnn] {
                let back = try RNNModel.load(json: model.jsonData())
                #expect(back == model, "seed \(seed)")
                #expect(back.W.data.map(\.bitPattern) == model.W.data.map(\.bitPattern), "seed \(seed)")
                #expect(back.b.map(\.bitPattern) == model.b.map(\.bitPattern), "seed \(seed)")
                #expect(try back.jsonData() == model.jsonData())
            }
        }
    }

    @Test func wrongShapesAreNamed() {
        #expect(loadError("\"W\": [[0.5, 0.1], [0.0, 0.3]]", "\"W\": [[0.5, 0.1]]")?.contains("W: must be square") == true)
        #expect(loadError("\"W\": [[0.5, 0.1], [0.0, 0.3]]", "\"W\": [[0.5, 0.1], [0.0]]")?.contains("row 1 has 1 entries") == true)
        #expect(loadError("\"F\": [[1.0], [-1.0]]", "\"F\": [[1.0]]")?.contains("F: must have n = 2 rows") == true)
        #expect(loadError("\"b\": [0.1, -0.2]", "\"b\": [0.1]")?.contains("b: must have n = 2 entries") == true)
        #expect(loadError("\"C\": [[1.0, 2.0]]", "\"C\": [[1.0, 2.0, 3.0]]")?.contains("C: must have n = 2 columns") == true)
        #expect(loadError("\"c\": [0.5]", "\"c\": [0.5, 1]")?.contains("c: must have p = 1 entries") == true)
        #expect(loadError("\"h0\": [0.0, 1.0]", "\"h0\": [0.0]")?.contains("h0: must have n = 2 entries") == true)
        #expect(loadError("\"W\": [[0.5, 0.1], [0.0, 0.3]]", "\"W\": []")?.contains("W: must have at least one row") == true)
    }

    @Test func nonFiniteEntriesAreNamed() {
        #expect(loadError("[0.0, 0.3]", "[0.0, \"nan\"]")?.contains("W[1][1]: is not finite") == true)
        #expect(loadError("\"b\": [0.1, -0.2]", "\"b\": [0.1, \"inf\"]")?.contains("b[1]: is not finite") == true)
        #expect(loadError("\"inputBound\": 2", "\"inputBound\": \"-inf\"")?.contains("inputBound") == true)
        #expect(loadError("\"inputBound\": 2", "\"inputBound\": -1")?.contains("inputBound: must be finite and >= 0") == true)
    }

    @Test func missingFieldsAndBadValuesAreNamed() {
        #expect(loadError("\"c\": [0.5], ", "")?.contains("c: missing") == true)
        #expect(loadError("\"h0\": [0.0, 1.0], ", "")?.contains("h0: missing") == true)
        #expect(loadError("\"W\": [[0.5, 0.1], [0.0, 0.3]], ", "")?.contains("W: missing") == true)
        #expect(loadError("\"relu\"", "\"tanh\"")?.contains("activation: unknown \"tanh\"") == true)
        #expect(loadError("urnnsweep.rnn.v1", "other.v9")?.contains("format: unknown format") == true)
        #expect(loadError("[1.0, 2.0]", "[1.0, \"two\"]")?.contains("malformed model: file") == true)
        #expect(loadError("\"inputBound\": 2}", "\"inputBound\": 2")?.contains("not valid JSON") == true)
        // Without an input bound the file loads, but the construction asks for one.
        let text = Self.good.replacingOccurrences(of: ", \"inputBound\": 2", with: "")
        let m = try? RNNModel.load(json: Data(text.utf8))
        #expect(m != nil && m?.inputBound == nil)
        if let m { #expect(throws: TheoryError.missingInputBound) { _ = try UnitaryDilation.construct(m) } }
    }

    @Test func specWithInlineModelIsValidatedAndRuns() throws {
        var spec = TheorySpec(n: 2, seed: 0)
        spec.model = try RNNModel.load(json: Data(Self.good.utf8))
        spec.steps = 500
        let out = try JobExecutor.run(JobSpec(kind: .theorem1, theory: spec))
        #expect(out.metrics["certified"] == 1 && out.metrics["input_bound"] == 2)
        spec.n = 3
        #expect(throws: SpecError.self) { try spec.validate(kind: .theorem1) }
        spec.n = 2
        #expect(throws: SpecError.self) { try spec.validate(kind: .theorem2) }
        // The spec with a model survives the job's JSON round trip with its id.
        let job = JobSpec(kind: .theorem1, theory: spec)
        #expect(try JSON.decode(JobSpec.self, from: job.canonicalJSON()).id == job.id)
    }
}
