import Foundation

/// Elementwise activation phi of an RNN.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu, sigmoid, identity

    @inlinable public func apply(_ v: Double) -> Double {
        switch self {
        case .relu: return v > 0 ? v : 0
        case .sigmoid: return 1 / (1 + _theoryExp(-v))
        case .identity: return v
        }
    }
}

/// An RNN with n states, d inputs and p outputs:
///
///     h(k) = phi(W h(k-1) + F x(k) + b),   k = 1, 2, ...,   h(0) = h0
///     y(k) = C h(k) + c
///
/// Shapes: W [n, n], F [n, d], b [n], C [p, n], c [p], h0 [n].
/// `inputBound` is M in ||x(k)||_2 <= M, the bound the Theorem 1 construction is valid for.
///
/// File format (JSON, see docs/THEORY.md): {"format": "urnnsweep.rnn.v1", "activation": "relu",
/// "W": [[...], ...], "F": [[...]], "b": [...], "C": [[...]], "c": [...], "h0": [...], "inputBound": M}
/// with matrices as arrays of rows. `inputBound` may be omitted (then Theorem 1 needs it from elsewhere).
public struct RNNModel: Hashable, Sendable {
    public var activation: Activation
    public var W: Matrix
    public var F: Matrix
    public var b: [Double]
    public var C: Matrix
    public var c: [Double]
    public var h0: [Double]
    public var inputBound: Double?

    public static let formatName = "urnnsweep.rnn.v1"

    public var n: Int { W.rows }
    public var inputCount: Int { F.cols }
    public var outputCount: Int { C.rows }

    /// Builds a model, checking shapes and finiteness (throws `TheoryError.malformedModel`).
    public init(activation: Activation, W: Matrix, F: Matrix, b: [Double], C: Matrix, c: [Double],
                h0: [Double]? = nil, inputBound: Double? = nil) throws(TheoryError) {
        self.activation = activation; self.W = W; self.F = F; self.b = b; self.C = C; self.c = c
        self.h0 = h0 ?? [Double](repeating: 0, count: W.rows); self.inputBound = inputBound
        try check()
    }

    /// Shape and finiteness checks, naming the offending field.
    public func check() throws(TheoryError) {
        let n = W.rows
        guard n >= 1 else { throw .malformedModel(field: "W", reason: "must have at least one row") }
        guard W.cols == n else { throw .malformedModel(field: "W", reason: "must be square, got \(W.rows)x\(W.cols)") }
        guard F.rows == n else { throw .malformedModel(field: "F", reason: "must have n = \(n) rows (one per state), got \(F.rows)") }
        guard F.cols >= 1 else { throw .malformedModel(field: "F", reason: "must have at least one column (input)") }
        guard b.count == n else { throw .malformedModel(field: "b", reason: "must have n = \(n) entries, got \(b.count)") }
        guard C.cols == n else { throw .malformedModel(field: "C", reason: "must have n = \(n) columns, got \(C.cols)") }
        guard C.rows >= 1 else { throw .malformedModel(field: "C", reason: "must have at least one row (output)") }
        guard c.count == C.rows else { throw .malformedModel(field: "c", reason: "must have p = \(C.rows) entries (one per output), got \(c.count)") }
        guard h0.count == n else { throw .malformedModel(field: "h0", reason: "must have n = \(n) entries, got \(h0.count)") }
        for (name, values, cols) in [("W", W.data, W.cols), ("F", F.data, F.cols), ("C", C.data, C.cols),
                                     ("b", b, 0), ("c", c, 0), ("h0", h0, 0)] {
            if let k = values.firstIndex(where: { !$0.isFinite }) {
                let at = cols > 0 ? "[\(k / cols)][\(k % cols)]" : "[\(k)]"
                throw .malformedModel(field: name + at, reason: "is not finite (\(values[k]))")
            }
        }
        if let m = inputBound, !(m.isFinite && m >= 0) {
            throw .malformedModel(field: "inputBound", reason: "must be finite and >= 0, got \(m)")
        }
    }

    /// Reads the JSON file format; every problem comes back as `TheoryError.malformedModel`.
    public static func load(json data: Data) throws(TheoryError) -> RNNModel {
        do { return try JSON.decode(RNNModel.self, from: data) }
        catch let e as TheoryError { throw e }
        catch { throw .malformedModel(field: "file", reason: "not valid JSON for an RNN model: \(Self.explain(error))") }
    }

    /// Writes the JSON file format (sorted keys, pretty). Doubles are printed shortest-round-trip,
    /// so `load(json: model.jsonData())` gives back a bit-identical model.
    public func jsonData() throws -> Data { try JSON.encode(self, pretty: true) }

    private static func explain(_ error: Error) -> String {
        guard let d = error as? DecodingError else { return "\(error)" }
        switch d {
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .keyNotFound(_, ctx), let .dataCorrupted(ctx):
            let path = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return (path.isEmpty ? "" : "at \(path): ") + ctx.debugDescription
        @unknown default: return "\(d)"
        }
    }
}

extension RNNModel: Codable {
    enum Key: String, CodingKey { case format, activation, W, F, b, C, c, h0, inputBound }

    public init(from decoder: Decoder) throws {
        let k = try decoder.container(keyedBy: Key.self)
        if let f = try k.decodeIfPresent(String.self, forKey: .format), f != Self.formatName {
            throw TheoryError.malformedModel(field: "format", reason: "unknown format \"\(f)\" (this build reads \(Self.formatName))")
        }
        func need<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
            guard let v = try k.decodeIfPresent(T.self, forKey: key) else {
                throw TheoryError.malformedModel(field: key.rawValue, reason: "missing")
            }
            return v
        }
        func matrix(_ key: Key) throws -> Matrix {
            let rows = try need([[Double]].self, key)
            let cols = rows.first?.count ?? 0
            if let bad = rows.firstIndex(where: { $0.count != cols }) {
                throw TheoryError.malformedModel(field: key.rawValue, reason: "row \(bad) has \(rows[bad].count) entries but row 0 has \(cols) (rows must be equally long)")
            }
            return Matrix(rowArrays: rows, cols: cols)
        }
        let activation = try k.decodeIfPresent(String.self, forKey: .activation) ?? "relu"
        guard let act = Activation(rawValue: activation) else {
            throw TheoryError.malformedModel(field: "activation", reason: "unknown \"\(activation)\" (use relu, sigmoid or identity)")
        }
        try self.init(activation: act, W: matrix(.W), F: matrix(.F), b: need([Double].self, .b), C: matrix(.C),
                      c: need([Double].self, .c), h0: need([Double].self, .h0),
                      inputBound: k.decodeIfPresent(Double.self, forKey: .inputBound))
    }

    public func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: Key.self)
        try k.encode(Self.formatName, forKey: .format)
        try k.encode(activation.rawValue, forKey: .activation)
        try k.encode(W.rowArrays, forKey: .W)
        try k.encode(F.rowArrays, forKey: .F)
        try k.encode(b, forKey: .b)
        try k.encode(C.rowArrays, forKey: .C)
        try k.encode(c, forKey: .c)
        try k.encode(h0, forKey: .h0)
        try k.encodeIfPresent(inputBound, forKey: .inputBound)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@usableFromInline func _theoryExp(_ x: Double) -> Double { exp(x) }
