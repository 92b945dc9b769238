import Foundation
import Testing
@testable import Shared

/// The divergence guard's policy on its own: counting, the learning-rate cut, the W clip.
@Suite struct DivergenceGuardTests {
    static let shape = ModelShape(cell: .relu, hidden: 3, inputs: 2, outputs: 1)

    /// Parameters whose W = diag(2, 0.5, 0.5): ||W|| = 2.
    static func params() -> [Float] {
        var p = [Float](repeating: 0.1, count: shape.parameterCount)
        let w = shape.slot("W")
        for i in 0..<9 { p[w.offset + i] = 0 }
        p[w.offset] = 2; p[w.offset + 4] = 0.5; p[w.offset + 8] = 0.5
        return p
    }

    @Test func cutsTheRateAndClipsAnExpandingUnconstrainedW() throws {
        let g = DivergenceGuard(lrFactor: 0.5, maxEvents: 2)
        var p = Self.params()
        let before = p
        let v = g.badEpoch(earlierEvents: 0, learningRate: 0.01, params: &p, w: Self.shape.slot("W"), constraint: .none)
        guard case let .retry(lr, remedy, clipped) = v else { Issue.record("expected retry, got \(v)"); return }
        #expect(lr == 0.005 && clipped && remedy.contains("||W|| was 2.0000"))
        #expect(abs(try Trainer.spectralNorm(p, slot: Self.shape.slot("W")) - 1) < 1e-6)
        // Only W changes.
        let w = Self.shape.slot("W")
        #expect(Array(p[..<w.offset]) == Array(before[..<w.offset]) && Array(p[w.range.upperBound...]) == Array(before[w.range.upperBound...]))
    }

    @Test func leavesConstrainedContractiveAndLSTMParametersAlone() {
        let g = DivergenceGuard(lrFactor: 0.25, maxEvents: 5)
        for (constraint, w) in [(RecurrentConstraint.orthogonal, Optional(Self.shape.slot("W"))), (.contractive, Self.shape.slot("W")),
                                (.none, nil)] {
            var p = Self.params()
            let v = g.badEpoch(earlierEvents: 3, learningRate: 0.1, params: &p, w: w, constraint: constraint)
            #expect(v == .retry(learningRate: 0.025, remedy: "", clippedW: false))
            #expect(p == Self.params())
        }
        // A W that does not expand is not touched either.
        var small = Self.params()
        small[Self.shape.slot("W").offset] = 0.9
        let copy = small
        #expect(g.badEpoch(earlierEvents: 0, learningRate: 1, params: &small, w: Self.shape.slot("W"), constraint: .none)
                == .retry(learningRate: 0.25, remedy: "", clippedW: false))
        #expect(small == copy)
    }

    @Test func givesUpOnTheInterventionAfterTheLimitWithoutTouchingParameters() {
        let g = DivergenceGuard(lrFactor: 0.5, maxEvents: 2)
        var p = Self.params()
        #expect(g.badEpoch(earlierEvents: 2, learningRate: 0.01, params: &p, w: Self.shape.slot("W"), constraint: .none) == .giveUp)
        #expect(p == Self.params())
        if case .giveUp = g.badEpoch(earlierEvents: 1, learningRate: 0.01, params: &p, w: nil, constraint: .none) {
            Issue.record("the second intervention of two allowed must be a retry")
        }
        #expect(DivergenceGuard(lrFactor: 0.5, maxEvents: 0).badEpoch(earlierEvents: 0, learningRate: 1, params: &p, w: nil, constraint: .none) == .giveUp)
        #expect(g.giveUpEvent(epoch: 7, failure: "batch 3 loss nan", learningRate: 0.0025)
                == "epoch 7: batch 3 loss nan at learning rate 0.0025; guard limit of 2 interventions reached: run diverged")
    }
}
