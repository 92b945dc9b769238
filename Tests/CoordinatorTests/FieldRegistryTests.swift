import Foundation
import Shared
import Testing
@testable import Coordinator

/// The one declaration of every job kind's fields (issue 11) against what uses it: the docs'
/// tables, the specs' defaults, the JSON keys of stored specs and the committed exports' job ids.
@Suite struct FieldRegistryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// docs/SWEEPS.md holds each table exactly as `urnn-coordinator fields KIND` prints it.
    @Test(arguments: FieldTable.kinds)
    func sweepsDocHoldsTheGeneratedTable(_ kind: JobKind) throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/SWEEPS.md"), encoding: .utf8)
        let table = FieldTable.markdown(KindSchema.forKind(kind))
        #expect(doc.contains(table), "docs/SWEEPS.md's \(kind.rawValue) table differs; replace it with `urnn-coordinator fields \(kind.rawValue)`:\n\(table)")
    }

    /// Every declared default is the spec's: a spec built from no field values has, for each field
    /// that is not optional, the value the docs print as its default.
    @Test(arguments: FieldTable.kinds)
    func declaredDefaultsAreTheSpecsDefaults(_ kind: JobKind) throws {
        let schema = KindSchema.forKind(kind)
        var required: [String: FieldValue] = [:]
        for key in schema.required {
            let f = try #require(schema.field(key))
            switch f.type {
            case .int: required[key] = .int(1)
            case .choice(let words): required[key] = .string(words[0])
            case .text: required[key] = .string("d")
            default: Issue.record("required \(key) of type \(f.type)")
            }
        }
        let values = schema.values(schema.make(required))
        for f in schema.fields where f.json != nil && !schema.required.contains(f.key) {
            let v = try #require(values[f.key], "\(f.key) has no value")
            if v != .none { #expect(v.description == f.defaultText, "\(kind.rawValue).\(f.key): declared default \(f.defaultText), spec has \(v)") }
        }
    }

    /// A field's JSON key is the name the spec's Codable form uses: setting a field through the
    /// declaration changes exactly that key of the spec's JSON.
    @Test(arguments: FieldTable.kinds)
    func jsonKeysAreTheSpecsCodingKeys(_ kind: JobKind) throws {
        let schema = KindSchema.forKind(kind)
        let payload = ["synthetic": "synthetic", "pmnist": "pmnist", "theorem1": "theory", "noop": "noop"][kind.rawValue]!
        var base: [String: FieldValue] = [:]
        for key in schema.required { base[key] = schema.field(key)!.type == .int ? .int(2) : .string(kind == .pmnist && key == "data" ? "d" : "rnn") }
        func json(_ values: [String: FieldValue]) throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: schema.make(values).canonicalJSON()) as! [String: Any]
            return object[payload] as! [String: Any]
        }
        let plain = try json(base)
        for f in schema.fields where f.json != nil && f.inSweeps && !schema.required.contains(f.key) {
            let sample: FieldValue
            switch f.type {
            case .int: sample = f.range == .oneOf([1, 2, 4, 7, 14, 28]) ? .int(4) : .int(3)
            case .double, .optionalDouble: sample = .double(0.125)
            case .bool: sample = .bool(!(plain[f.json!] as? Bool ?? false))
            case .choice(let words): sample = .string(words.last!)
            case .text: sample = .string("x")
            }
            var values = base
            values[f.key] = sample
            let changed = try json(values)
            let keys = Set(changed.keys).union(plain.keys).filter { "\(changed[$0] ?? "nil")" != "\(plain[$0] ?? "nil")" }
            #expect(keys == [f.json!], "\(kind.rawValue).\(f.key) = \(sample) changed \(keys.sorted()), not \(f.json!)")
        }
    }

    /// The committed exports (docs/results, 2,940 runs made before the fields were declared once)
    /// still import: every record's id is the hash of its spec, the spec is valid, rebuilding it
    /// from its field values through the declarations gives the same id, and the presets the
    /// runs came from still expand to exactly those ids.
    @Test(arguments: ["paper-fig2", "paper-fig3", "fidelity-ablation"])
    func committedExportsKeepTheirJobIDs(_ name: String) throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("docs/results/\(name).jsonl.gz"))
        #expect(Gzip.isGzip(data))
        let text = try #require(String(data: try Gzip.decompress(data), encoding: .utf8))
        var ids = Set<String>()
        for (n, line) in text.split(separator: "\n").enumerated() {
            let r = try #require(try ImportCommand.check(line: line, place: "\(name):\(n + 1)"))
            let schema = r.spec.schema
            var rebuilt = schema.make(schema.values(r.spec))
            rebuilt.version = r.spec.version
            #expect(rebuilt.id == r.jobID, "\(name):\(n + 1): \(r.spec.summary) rebuilt as \(rebuilt.id)")
            ids.insert(r.jobID)
        }
        let preset = try SweepFile.load(pathOrPresetName: name)
        #expect(Set(preset.jobs.map(\.id)) == ids, "\(name): the preset expands to \(preset.jobs.count) jobs, the export has \(ids.count)")
    }

    /// `import` is a path in too: a record whose spec is out of range (its id honestly the hash of
    /// that spec) is refused with the message every other path gives.
    @Test func importRefusesABadSpecWithTheSameMessage() throws {
        for spec in [JobSpec(noop: NoopSpec(token: 1, sleepMilliseconds: -5)), JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 0))] {
            let expected: SpecError
            do { try spec.validate(); Issue.record("valid: \(spec)"); continue } catch let e as SpecError { expected = e }
            let record = ResultRecord(jobID: spec.id, spec: spec, outcome: JobOutcome(),
                                      provenance: Provenance(host: "h", workerID: "w", buildVersion: "b", wallSeconds: 0))
            let line = try JSON.string(record)
            do { _ = try ImportCommand.check(line: Substring(line), place: "x:1"); Issue.record("imported \(spec.summary)") } catch {
                #expect("\(error)".contains(expected.description), "\(error)")
            }
        }
    }
}
