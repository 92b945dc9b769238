import Foundation
import Testing
@testable import Shared

/// Flush-to-zero for pMNIST jobs (Support/Subnormals.swift): on inside, restored after, and a
/// pMNIST job's arithmetic runs inside it while other kinds' does not.
@Suite struct SubnormalsTests {
    /// Read at run time, so nothing below is folded by the compiler.
    static let values: [Float] = [1e-20, Float.leastNonzeroMagnitude, 0]
    @inline(never) static func product(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(never) static func sum(_ a: Float, _ b: Float) -> Float { a + b }

    @Test func subnormalsAreFlushedInsideAndTheModeIsRestoredAfter() {
        let tiny = Self.values[0], least = Self.values[1], zero = Self.values[2]
        #expect(!Subnormals.areFlushed)
        #expect(Self.product(tiny, tiny) > 0, "1e-40 is a subnormal Float, not 0, without flushing")
        #expect(Self.sum(least, zero) == least)
        let (flushedProduct, flushedInput, on) = Subnormals.flushed {
            (Self.product(tiny, tiny), Self.sum(least, zero), Subnormals.areFlushed)
        }
        #expect(flushedProduct == 0, "FTZ: a subnormal result is 0")
        #expect(flushedInput == 0, "DAZ: a subnormal input reads as 0")
        #expect(on)
        #expect(!Subnormals.areFlushed)
        #expect(Self.product(tiny, tiny) > 0)
    }

    @Test func theModeIsRestoredWhenTheBodyThrows() {
        struct Stop: Error {}
        #expect(throws: Stop.self) { try Subnormals.flushed { throw Stop() } }
        #expect(!Subnormals.areFlushed)
    }

    @Test func aPMNISTJobTrainsFlushedAndASyntheticJobDoesNot() throws {
        final class Seen: @unchecked Sendable { var flushed: [Bool] = []; let lock = NSLock() }
        let seen = Seen()
        var s = PMNISTSpec(model: .rnn, hidden: 4, data: mnist5kDirectory, epochs: 1)
        s.pool = 7; s.trainLimit = 64; s.testLimit = 64; s.validation = 64
        _ = try PMNISTExperiment.run(s, context: JobContext(datasets: PMNISTTests.cache), progress: { _ in
            seen.lock.withLock { seen.flushed.append(Subnormals.areFlushed) }
        })
        #expect(!seen.flushed.isEmpty && seen.flushed.allSatisfy { $0 }, "progress lines from inside the job: \(seen.flushed)")
        #expect(!Subnormals.areFlushed, "the job thread's mode is restored after the job")

        let synthetic = Seen()
        _ = try SyntheticExperiment.run(SyntheticSpec(model: .rnn, hidden: 2, epochs: 1, sequences: 20, steps: 20, trainSequences: 10), progress: { _ in
            synthetic.lock.withLock { synthetic.flushed.append(Subnormals.areFlushed) }
        })
        #expect(!synthetic.flushed.isEmpty && !synthetic.flushed.contains(true))
    }
}
