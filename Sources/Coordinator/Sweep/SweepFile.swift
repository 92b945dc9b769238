import Foundation
import Shared
import Yams

/// Reads sweep files (YAML) and built-in presets, and expands them into jobs.
///
/// Format (see docs/SWEEPS.md):
///
///     name: paper-fig2           # [A-Za-z0-9._-]+
///     kind: synthetic            # synthetic | theorem1 | theorem2 | theorem3 | noop
///     description: free text     # optional
///     grid:                      # axes: a list, a range "0..29" / "0..<30" / "2..14 by 2", or one value
///       realization: 0..29
///       hidden: 2..14 by 2
///       model: [rnn, urnn, lstm]
///     fixed:                     # single values for every job
///       snr: 20
///
/// Every error names the source, the line and the field.
public enum SweepFile {
    /// Refuse grids larger than this (a typo like `0..1000000` should not eat the store).
    public static let maxJobs = 2_000_000

    /// Loads a sweep from a file if `pathOrPresetName` names one, else from the built-in preset of
    /// that name (see `SweepPresets`).
    public static func load(pathOrPresetName: String) throws -> Sweep {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: pathOrPresetName, isDirectory: &isDir), !isDir.boolValue {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: pathOrPresetName)) } catch {
                throw SweepError(source: pathOrPresetName, line: nil, field: nil, message: "cannot read: \(error.localizedDescription)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw SweepError(source: pathOrPresetName, line: nil, field: nil, message: "not UTF-8 text")
            }
            return try parse(text: text, source: pathOrPresetName)
        }
        if let text = SweepPresets.text(named: pathOrPresetName) {
            return try parse(text: text, source: "preset \(pathOrPresetName)")
        }
        throw SweepError(source: pathOrPresetName, line: nil, field: nil,
                         message: "no such file, and no preset of that name (presets: \(SweepPresets.names.joined(separator: ", ")))")
    }

    /// Parses and expands sweep text. `source` only labels errors.
    public static func parse(text: String, source: String) throws -> Sweep {
        let reader = SweepReader(source: source)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw reader.error(1, nil, "empty sweep file (expected a mapping with name, kind and grid)")
            }
            root = node
        } catch let e as YamlError {
            throw reader.yamlError(e)
        }
        return try reader.read(root: root, text: text)
    }
}

/// A parsed value with the line it came from.
struct Located {
    var value: FieldValue
    var line: Int?
}

/// The parsing state for one file: its source label and error helpers.
struct SweepReader {
    let source: String

    func error(_ line: Int?, _ field: String?, _ message: String) -> SweepError {
        SweepError(source: source, line: line, field: field, message: message)
    }

    func yamlError(_ e: YamlError) -> SweepError {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return error(mark.line, nil, "YAML syntax: \(problem)")
        default:
            return error(nil, nil, "YAML: \(e)")
        }
    }

    /// The pairs of a mapping node, with duplicate keys and non-string keys refused.
    func pairs(_ node: Node, what: String) throws -> [(key: String, line: Int?, value: Node)] {
        guard case .mapping(let m) = node else {
            throw error(node.mark?.line, what == "sweep" ? nil : what, "expected a mapping of key: value lines")
        }
        var seen: [String: Int?] = [:]
        var out: [(key: String, line: Int?, value: Node)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else { throw error(k.mark?.line, nil, "keys must be plain words") }
            if let first = seen[ks.string] {
                throw error(k.mark?.line, ks.string, "duplicate key (first given on line \(first.map(String.init) ?? "?"))")
            }
            seen[ks.string] = k.mark?.line
            out.append((ks.string, k.mark?.line, v))
        }
        return out
    }

    func read(root: Node, text: String) throws -> Sweep {
        var name: String?, kindNode: (JobKind, Int?)?, gridNode: Node?, fixedNode: Node?, gridLine: Int?
        var variantsNode: (node: Node, line: Int?)?
        var timeout: Double?, timeoutRetries = 0
        for (key, line, value) in try pairs(root, what: "sweep") {
            switch key {
            case "name":
                guard case .scalar(let s) = value, Sweep.isValidName(s.string) else {
                    throw error(value.mark?.line ?? line, "name", "expected a name of letters, digits, '.', '_' or '-'")
                }
                name = s.string
            case "kind":
                guard case .scalar(let s) = value, let k = JobKind(rawValue: s.string) else {
                    throw error(value.mark?.line ?? line, "kind",
                                "unknown job kind '\(value.scalar?.string ?? "?")' (expected one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                kindNode = (k, value.mark?.line ?? line)
            case "description":
                guard case .scalar = value else { throw error(value.mark?.line ?? line, "description", "expected text") }
            case "grid": gridNode = value; gridLine = line
            case "fixed": fixedNode = value
            case "variants": variantsNode = (value, line)
            case "timeout": timeout = try limit(value, key, line, Sweep.timeoutRange)
            case "timeout_retries": timeoutRetries = Int(try limit(value, key, line, Sweep.timeoutRetriesRange, integer: true))
            default:
                throw error(line, key, "unknown key (expected name, kind, description, grid, fixed, variants, timeout, timeout_retries)")
            }
        }
        guard let name else { throw error(root.mark?.line ?? 1, "name", "missing") }
        guard let (kind, kindLine) = kindNode else { throw error(root.mark?.line ?? 1, "kind", "missing") }
        let schema = KindSchema.forKind(kind)

        // Axes (grid) and single values (fixed, and one-value grid entries).
        var axes: [(key: String, line: Int?, values: [Located])] = []
        var fixed: [String: Located] = [:]
        var fixedOrder: [String] = []
        var keyLines: [String: Int?] = [:]
        if let gridNode {
            for (key, line, value) in try pairs(gridNode, what: "grid") {
                let field = try known(key, line: line, schema: schema)
                if key == "count" { throw error(line, key, "count belongs under fixed (it makes the token axis)") }
                let values = try axisValues(value, field: field, keyLine: line)
                axes.append((key, line, values))
                keyLines[key] = line
            }
        }
        if let fixedNode {
            for (key, line, value) in try pairs(fixedNode, what: "fixed") {
                let field = try known(key, line: line, schema: schema)
                if keyLines[key] != nil {
                    throw error(line, key, "given both in grid (line \(keyLines[key]!.map(String.init) ?? "?")) and in fixed")
                }
                fixed[key] = try scalarValue(value, field: field, fallbackLine: line)
                fixedOrder.append(key)
                keyLines[key] = line
            }
        }
        if kind == .noop, let count = fixed["count"] {
            if keyLines["token"] != nil { throw error(count.line, "count", "give either count or token, not both") }
            fixed["count"] = nil
            fixedOrder.removeAll { $0 == "count" }
            axes.insert(("token", count.line, (0..<count.value.intValue).map { Located(value: .int($0), line: count.line) }), at: 0)
            keyLines["token"] = count.line
        }
        for key in schema.required where keyLines[key] == nil {
            throw error(gridLine ?? kindLine, key, "missing (required for kind \(kind.rawValue); give it under grid or fixed)")
        }

        var total = 1
        for axis in axes {
            let (product, overflow) = total.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= SweepFile.maxJobs else {
                throw error(axis.line, axis.key, "the grid has more than \(SweepFile.maxJobs) jobs")
            }
            total = product
        }

        var sweep = Sweep(name: name, kind: kind, definitionText: text, jobs: [],
                          axes: axes.map { SweepAxis(key: $0.key, values: $0.values.map(\.value.description)) },
                          fixed: fixedOrder.map { ($0, fixed[$0]!.value.description) })
        sweep.timeout = timeout
        sweep.timeoutRetries = timeoutRetries
        if let variantsNode {
            let base = BaseGrid(axes: axes, fixed: fixed, keyLines: keyLines, total: total)
            (sweep.jobs, sweep.variants) = try readVariants(variantsNode.node, line: variantsNode.line, base: base, schema: schema)
        } else {
            sweep.jobs = try expand(axes: axes, fixed: fixed, schema: schema, keyLines: keyLines, total: total)
        }
        return sweep
    }

    /// A top-level number within `range` (`timeout`, `timeout_retries`).
    func limit(_ node: Node, _ key: String, _ line: Int?, _ range: ClosedRange<Double>, integer: Bool = false) throws -> Double {
        let text = node.scalar?.string ?? ""
        guard let v = Double(text), v.isFinite, !integer || v == v.rounded() else {
            throw error(node.mark?.line ?? line, key, "expected \(integer ? "an integer" : "a number of seconds"), got '\(text)'")
        }
        guard range.contains(v) else {
            throw error(node.mark?.line ?? line, key, "must be in \(SweepFormat.number(range.lowerBound))...\(SweepFormat.number(range.upperBound)), got \(text)")
        }
        return v
    }

    func known(_ key: String, line: Int?, schema: KindSchema) throws -> FieldInfo {
        guard let f = schema.field(key) else {
            throw error(line, key, "unknown key for kind \(schema.kind.rawValue) (known: \(schema.fields.map(\.key).joined(separator: ", ")))")
        }
        return f
    }

    /// Expands the product, validating every job; the first axis varies slowest.
    func expand(axes: [(key: String, line: Int?, values: [Located])], fixed: [String: Located],
                schema: KindSchema, keyLines: [String: Int?], total: Int) throws -> [JobSpec] {
        var jobs: [JobSpec] = []
        jobs.reserveCapacity(total)
        var index = [Int](repeating: 0, count: axes.count)
        var seen: [String: Int] = [:]
        for _ in 0..<total {
            var values = fixed.mapValues(\.value)
            var lines = fixed.mapValues(\.line)
            for (a, axis) in axes.enumerated() {
                values[axis.key] = axis.values[index[a]].value
                lines[axis.key] = axis.values[index[a]].line
            }
            let job = schema.make(values)
            do { try job.validate() } catch let e as SpecError {
                let field = schema.fields.first { $0.specNames.contains(e.field) }
                let key = field.flatMap { f in values[f.key] != nil ? f.key : f.related.first { values[$0] != nil } } ?? field?.key ?? e.field
                let line = lines[key] ?? keyLines[key] ?? nil
                let note = values[field?.key ?? key] == nil ? " (default value)" : ""
                throw error(line, field?.key ?? e.field, e.message + note + " in job \(job.summary)")
            }
            let id = job.id
            if let other = seen[id] {
                throw error(nil, nil, "jobs \(other) and \(jobs.count) are the same job (id \(id)); remove the repeated value")
            }
            seen[id] = jobs.count
            jobs.append(job)
            // Odometer step: last axis fastest.
            var a = axes.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < axes[a].values.count { break }
                index[a] = 0
                a -= 1
            }
        }
        return jobs
    }
}
