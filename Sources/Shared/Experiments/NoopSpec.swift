import Foundation

/// The `noop` job: returns at once (or after `sleepMilliseconds`), for
/// coordinator benchmarks and protocol tests.
public struct NoopSpec: Codable, Hashable, Sendable {
    public var token: Int
    public var sleepMilliseconds: Int?
    /// If true the job fails (a retryable error) after its sleep: exercises the retry limit
    /// end to end. nil (not false) when unset, so plain noop ids stay as they were.
    public var fail: Bool?
    public init(token: Int, sleepMilliseconds: Int? = nil, fail: Bool? = nil) {
        self.token = token; self.sleepMilliseconds = sleepMilliseconds; self.fail = fail
    }

    /// The longest sleep a noop job may ask for: one day.
    public static let maxSleepMilliseconds = 86_400_000
    /// The largest `count` a sweep file may give (the most jobs a sweep may have).
    public static let maxCount = 2_000_000

    public static let fields: [SpecField<NoopSpec>] = [
        .int(FieldInfo("token", .int, default: "required", help: "the job's number; echoed as its `token` metric"), \.token),
        SpecField(FieldInfo("sleep_ms", json: "sleepMilliseconds", .int, range: .integers(0, maxSleepMilliseconds), default: "0",
                            help: "sleep this long before returning (0: return at once)"),
                  get: { $0.sleepMilliseconds.map(FieldValue.int) ?? .none },
                  set: { $0.sleepMilliseconds = $1 == .none || $1.intValue == 0 ? nil : $1.intValue }),
        // nil (not false) when unset, so plain noop ids stay as they were.
        SpecField(FieldInfo("fail", .bool, default: "false",
                            help: "fail with a retryable error after the sleep, to exercise the retry limit"),
                  get: { .bool($0.fail ?? false) },
                  set: { $0.fail = $1.boolValue ? true : nil }),
        // Sweep files only: `count: N` under fixed is shorthand for the axis `token: 0..<N`.
        SpecField(.shorthand("count", .int, range: .integers(1, maxCount), help: "under `fixed`: shorthand for the axis `token: 0..<N`"),
                  get: { _ in .none }, set: { _, _ in preconditionFailure("count is expanded by the sweep reader") }),
    ]

    public static let schema = KindSchema(
        kind: .noop, payload: "noop", fields: fields, required: ["token"],
        blank: NoopSpec(token: 0), extract: \.noop, wrap: { JobSpec(noop: $0) },
        check: { _ in },
        run: { n, context, _ in
            if let ms = n.sleepMilliseconds, ms > 0 { try JobExecutor.sleep(milliseconds: ms, cancellation: context.cancellation) }
            if n.fail == true { throw NoopFailure(token: n.token) }
            return JobOutcome(metrics: [Metric.token: Double(n.token)].byName)
        },
        summary: { "noop \($0.token)" })

    /// The one check of a noop spec, whichever way it came (sweep file, `exec --spec`, ASSIGN).
    public func validate() throws { try Self.schema.validate(JobSpec(noop: self)) }
}

/// The error a noop job with `fail: true` throws.
public struct NoopFailure: Error, CustomStringConvertible, Sendable {
    public var token: Int
    public var description: String { "noop job \(token) failed on purpose (fail: true)" }
}
