import Foundation

/// The divergence guard's policy, one for both trainers (docs/EXPERIMENTS.md, "The divergence guard").
///
/// The trainer decides that an epoch is bad (a non-finite or exploding loss or gradient, a failed
/// projection) and undoes it; the guard says what happens next. After `maxEvents` interventions
/// the next bad epoch ends the run as diverged. Otherwise the learning rate is multiplied by
/// `lrFactor` for the rest of the run, and, for an unconstrained ReLU RNN whose restored W has
/// ||W|| > 1, W's singular values are clipped to 1: a smaller step alone does not help there, since
/// the restored network itself overflows on some 1000-step sequences. No I/O, no state of its
/// own: the trainer keeps the count, so a checkpoint carries it.
public struct DivergenceGuard: Sendable, Equatable {
    public var lrFactor: Double
    public var maxEvents: Int

    public init(lrFactor: Double, maxEvents: Int) {
        self.lrFactor = lrFactor; self.maxEvents = maxEvents
    }

    public enum Verdict: Sendable, Equatable {
        /// Run the epoch again at `learningRate`. `remedy` is empty, or says how W was clipped.
        case retry(learningRate: Double, remedy: String, clippedW: Bool)
        /// This was intervention `maxEvents + 1`: the run is diverged.
        case giveUp
    }

    /// The verdict on a bad epoch that comes after `earlierEvents` interventions. `params` are the
    /// restored (last good) parameters; with `.retry` their W may have been clipped in place.
    /// `w` is the ReLU cell's recurrent matrix (nil for an LSTM); `constraint` the model's own.
    public func badEpoch(earlierEvents: Int, learningRate: Double, params: inout [Float],
                         w: TensorSlot?, constraint: RecurrentConstraint) -> Verdict {
        guard earlierEvents + 1 <= maxEvents else { return .giveUp }
        var remedy = "", clipped = false
        if let w, constraint == .none, let norm = try? Trainer.spectralNorm(params, slot: w), norm > 1,
           (try? Trainer.applyConstraint(.contractive, to: &params, slot: w)) != nil {
            clipped = true
            remedy = String(format: ", W's singular values clipped to <= 1 (||W|| was %.4f)", norm)
        }
        return .retry(learningRate: learningRate * lrFactor, remedy: remedy, clippedW: clipped)
    }

    /// The event line of the intervention that ends a run.
    public func giveUpEvent(epoch: Int, failure: String, learningRate: Double) -> String {
        "epoch \(epoch): \(failure) at learning rate \(learningRate); guard limit of \(maxEvents) interventions reached: run diverged"
    }
}
