import Foundation
import Shared
import Yams

/// Typed values and ranges in sweep files.
extension SweepReader {
    /// The values of one grid axis: a YAML list (whose items may be ranges), a range, or one value.
    func axisValues(_ node: Node, field: FieldInfo, keyLine: Int?) throws -> [Located] {
        var out: [Located] = []
        switch node {
        case .sequence(let seq):
            for item in seq {
                guard case .scalar = item else {
                    throw error(item.mark?.line, field.key, "expected a list of single values, found a nested list or mapping")
                }
                out += try rangeOrValue(item, field: field, keyLine: keyLine)
            }
        case .scalar:
            out = try rangeOrValue(node, field: field, keyLine: keyLine)
        case .mapping:
            throw error(node.mark?.line ?? keyLine, field.key, "expected a list, a range like 0..29, or a single value, found a mapping")
        }
        guard !out.isEmpty else { throw error(node.mark?.line ?? keyLine, field.key, "empty axis (give at least one value)") }
        var seen: [FieldValue: Int?] = [:]
        for v in out {
            if let first = seen[v.value] {
                throw error(v.line, field.key, "value \(v.value) appears twice in the axis (first on line \(first.map(String.init) ?? "?"))")
            }
            seen[v.value] = v.line
        }
        return out
    }

    private func rangeOrValue(_ node: Node, field: FieldInfo, keyLine: Int?) throws -> [Located] {
        let line = node.mark?.line ?? keyLine
        let text = node.scalar?.string ?? ""
        if text.contains("..") {
            guard field.type == .int else {
                throw error(line, field.key, "ranges like '\(text)' are only for integer fields; \(field.key) takes \(field.type.description)")
            }
            let values = try parseRange(text, field: field.key, line: line)
            for v in values { if let m = field.check(.int(v)) { throw error(line, field.key, m) } }
            return values.map { Located(value: .int($0), line: line) }
        }
        return [try scalarValue(node, field: field, fallbackLine: keyLine)]
    }

    /// Integer ranges: `a..b` (inclusive), `a..<b` (exclusive), either with ` by s` (s >= 1).
    func parseRange(_ text: String, field: String, line: Int?) throws -> [Int] {
        func bad(_ why: String) -> SweepError {
            error(line, field, "bad range '\(text)': \(why) (write a..b, a..<b, or a..b by step)")
        }
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var step = 1
        if let by = body.range(of: " by ") {
            guard let s = Int(body[by.upperBound...].trimmingCharacters(in: .whitespaces)) else { throw bad("the step is not an integer") }
            guard s >= 1 else { throw bad("the step must be at least 1") }
            step = s
            body = body[..<by.lowerBound]
        }
        guard let dots = body.range(of: "..") else { throw bad("no '..'") }
        var upperText = body[dots.upperBound...]
        let exclusive = upperText.hasPrefix("<")
        if exclusive { upperText = upperText.dropFirst() }
        guard let lo = Int(body[..<dots.lowerBound].trimmingCharacters(in: .whitespaces)) else { throw bad("the start is not an integer") }
        guard let hi = Int(upperText.trimmingCharacters(in: .whitespaces)) else { throw bad("the end is not an integer") }
        let (last, o1) = exclusive ? hi.subtractingReportingOverflow(1) : (hi, false)
        guard !o1, last >= lo else { throw bad("it is empty (the end is before the start)") }
        let (span, o2) = last.subtractingReportingOverflow(lo)
        guard !o2, span / step < SweepFile.maxJobs else { throw bad("more than \(SweepFile.maxJobs) values") }
        return Array(stride(from: lo, through: last, by: step))
    }

    /// One scalar value of `field`'s type.
    func scalarValue(_ node: Node, field: FieldInfo, fallbackLine: Int?) throws -> Located {
        let line = node.mark?.line ?? fallbackLine
        guard case .scalar(let scalar) = node else {
            throw error(line, field.key, "expected a single value (\(field.type.description)), found a \(node.isSequenceNode ? "list" : "mapping")")
        }
        let s = scalar.string.trimmingCharacters(in: .whitespaces)
        func wrong() -> SweepError {
            var hint = ""
            if s.contains("..") { hint = " (ranges belong under grid)" }
            return error(line, field.key, "expected \(field.type.description), got '\(s)'\(hint)")
        }
        let value: FieldValue
        switch field.type {
        case .int:
            guard let v = Int(s) else { throw wrong() }
            value = .int(v)
        case .double:
            guard let v = Double(s), v.isFinite else { throw wrong() }
            value = .double(v)
        case .optionalDouble:
            if ["none", "null", "~", ""].contains(s.lowercased()) { value = .none }
            else { guard let v = Double(s), v.isFinite else { throw wrong() }; value = .double(v) }
        case .bool:
            switch s.lowercased() {
            case "true": value = .bool(true)
            case "false": value = .bool(false)
            default: throw wrong()
            }
        case .choice(let words):
            guard words.contains(s) else {
                throw error(line, field.key, "unknown \(field.key) '\(s)' (expected one of \(words.joined(separator: ", ")))")
            }
            value = .string(s)
        case .text:
            guard !s.isEmpty, s.utf8.count <= 4096 else { throw error(line, field.key, "expected 1-4096 bytes of text, got \(s.utf8.count)") }
            value = .string(s)
        }
        if let message = field.check(value) { throw error(line, field.key, message) }
        return Located(value: value, line: line)
    }
}

extension Node {
    var isSequenceNode: Bool { if case .sequence = self { return true } else { return false } }
}
