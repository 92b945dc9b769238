import Foundation
import Shared

/// An expanded sweep: its definition and the jobs it stands for.
///
/// `jobs` is the Cartesian product of `axes`, the first axis varying slowest, each job also
/// carrying every `fixed` value; the order is the same on every load of the same text.
public struct Sweep: Sendable {
    public var name: String
    public var kind: JobKind
    /// The YAML text the sweep was read from (a preset's built-in text for presets).
    public var definitionText: String
    public var jobs: [JobSpec]
    /// The grid axes, in file order (first varies slowest).
    public var axes: [SweepAxis]
    /// The `fixed` values applied to every job, in file order (one-value grid entries stay axes).
    public var fixed: [(key: String, value: String)]
    /// The named variants of an ablation (`variants:` in the file), in file order; empty for a
    /// plain grid. With variants, `jobs` is the union of every variant's jobs (a job two variants
    /// share is listed once, where it first appears) and `axes` is the shared base grid.
    public var variants: [SweepVariant] = []
    /// Per-job time limit in seconds (`timeout`; nil: none) and how often a job that ran past it
    /// is retried before it fails (`timeout_retries`). Policy, not part of a job's spec or id.
    public var timeout: Double?
    public var timeoutRetries = 0
    static let timeoutRange: ClosedRange<Double> = 1...(30 * 86_400)
    static let timeoutRetriesRange: ClosedRange<Double> = 0...10

    /// Index into `axes[axis].values` of the value job number `job` uses (mixed radix, last axis fastest).
    public func axisValueIndex(job: Int, axis: Int) -> Int {
        var stride = 1
        for a in axes[(axis + 1)...] { stride *= a.values.count }
        return (job / stride) % axes[axis].values.count
    }
}

extension Sweep {
    /// A name a sweep, a variant or a store label may have: ASCII letters, digits, '.', '_', '-'.
    public static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}

/// One variant of an ablation sweep: the base grid with some fields changed (`set`), optionally
/// extra axes of its own (`grid`, e.g. several student seeds), the rule that picks one run per base
/// grid point (`select`), and the metric its report uses (`metric`). docs/SWEEPS.md, "Variants".
public struct SweepVariant: Sendable, Hashable {
    public var name: String
    public var description: String?
    /// The fields this variant sets, "key=value", in file order.
    public var settings: [String]
    /// The variant's own axes (they vary fastest, after the base grid's).
    public var ownAxes: [SweepAxis]
    /// Ids of the variant's jobs in expansion order (base grid points slowest).
    public var jobIDs: [String]
    /// For each job in `jobIDs`, the index of its base grid point: the same index in every variant
    /// names the same point (realization, hidden, model, ...), which pairs runs across variants.
    public var basePoints: [Int]
    /// How one run is chosen among a base point's runs when the variant has own axes.
    public var selection: VariantSelection?
    /// The outcome metric the variant's report uses (`test_r2` unless it says otherwise).
    public var metric: String
}

/// How a variant with its own axes keeps one run per base grid point.
public enum VariantSelection: String, Sendable, Hashable, CaseIterable {
    /// The run with the lowest training loss (its `train_loss` metric); uses no test data.
    case lowestTrainLoss = "lowest_train_loss"
}

/// One axis of a sweep grid: a field name and its values as they print.
public struct SweepAxis: Sendable, Hashable {
    public var key: String
    public var values: [String]
}

/// A bad sweep file. `line` is 1-based; `field` is the sweep-file key at fault.
public struct SweepError: Error, CustomStringConvertible, Sendable, Equatable {
    /// File path, or "preset NAME".
    public var source: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(source: String, line: Int?, field: String?, message: String) {
        self.source = source; self.line = line; self.field = field; self.message = message
    }

    public var description: String {
        var s = source
        if let line { s += ":\(line)" }
        s += ": "
        if let field { s += "field '\(field)': " }
        return s + message
    }
}

/// A typed value of one sweep field.
enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    /// An explicitly absent optional value (`none` or `null` in the file), e.g. `clip: none`.
    case none

    var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return SweepFormat.number(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        case .none: return "none"
        }
    }

    var intValue: Int {
        if case .int(let v) = self { return v }
        preconditionFailure("sweep field is not an integer: \(self)")
    }
    var doubleValue: Double {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: preconditionFailure("sweep field is not a number: \(self)")
        }
    }
    var optionalDoubleValue: Double? { self == .none ? nil : doubleValue }
    var boolValue: Bool {
        if case .bool(let v) = self { return v }
        preconditionFailure("sweep field is not a boolean: \(self)")
    }
    var stringValue: String {
        if case .string(let v) = self { return v }
        preconditionFailure("sweep field is not a string: \(self)")
    }
}

enum SweepFormat {
    /// Shortest round-tripping form of a number: "20", "0.01", "1e-05".
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return "\(v)"
    }
}
