// Seeded random numbers. Every random draw in a job comes from a generator
// seeded from the job spec, so a job's result depends only on its spec.
// Goals, in order: reproducibility across machines and runs, then speed.

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit seed expander; also used to
/// derive independent child seeds from one parent seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}

/// xoshiro256** (Blackman, Vigna 2018): the workhorse generator. Seeded through
/// SplitMix64 as its authors recommend.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    @usableFromInline var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// A generator for a named sub-stream of `seed`, e.g. ("teacher", realization).
    /// Streams with different labels or indices are statistically independent.
    public init(seed: UInt64, stream: String, index: UInt64 = 0) {
        self.init(seed: Xoshiro256.deriveSeed(seed, stream, index))
    }

    public static func deriveSeed(_ seed: UInt64, _ stream: String, _ index: UInt64 = 0) -> UInt64 {
        // FNV-1a over the label, mixed with seed and index through SplitMix64.
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        var sm = SplitMix64(seed: seed ^ h)
        _ = sm.next()
        var sm2 = SplitMix64(seed: sm.next() ^ (index &* 0x9E37_79B9_7F4A_7C15))
        return sm2.next()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal by the Box-Muller transform: log, sqrt, cos. glibc picks its cos and log
    /// by CPU (FMA or not), and the two differ in the last bit for ~0.07% / 0.01% of arguments;
    /// every use here feeds Float data or a long sum, which absorbs that, so job outcomes agree
    /// (checked by InstructionSetTests.libmWithoutFMAGivesTheSameBits; docs/ARCHITECTURE.md).
    @inlinable
    public mutating func gaussian() -> Double {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Uniform integer in 0..<n (n > 0), by Lemire's nearly-divisionless method.
    @inlinable
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0)
        return Int(next(upperBound: UInt64(n)))
    }

    /// Fisher-Yates shuffle with this generator.
    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = index(below: i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@usableFromInline func _log(_ x: Double) -> Double { log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { cos(x) }
