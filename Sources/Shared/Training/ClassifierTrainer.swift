import Foundation
// The classification training loop (pixel MNIST): epochs of shuffled mini-batches, softmax
// cross-entropy on the last state, an optimizer step, the recurrent constraint, the divergence
// guard, an evaluation of the validation and test sets after every epoch, and early stopping on
// validation accuracy. The whole loop state after an epoch is a `ClassifierState` value: the
// caller checkpoints it, and a run resumed from it continues bit for bit as if never stopped
// (the batch order of epoch e is a function of (seed, e) alone; nothing else is carried over).
//
// Divergence guard (as in `Trainer`, policy in `DivergenceGuard`): an epoch is bad if a batch loss or gradient norm is
// non-finite, a batch's mean loss exceeds explodeFactor x ln(classes) (chance level), the
// projection fails, or the validation loss is non-finite. A bad epoch is undone (parameters and
// optimizer state of the previous epoch), an unconstrained RNN's W with ||W|| > 1 is clipped to 1
// once, the learning rate is multiplied by guardLRFactor, and the epoch is run again; after
// guardMaxEvents interventions the run ends as diverged.
//
// Reported epoch: the one with the best validation accuracy (first on ties). Early stopping ends
// the run when `patience` epochs in a row have not improved on it. The test set is evaluated every
// epoch for the curves, and never used to choose anything.

public struct ClassifierConfig: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: OptimizerKind
    public var clipNorm: Double?
    public var shuffleSeed: UInt64
    public var constraint: RecurrentConstraint
    /// Epochs without a better validation accuracy before stopping.
    public var patience: Int
    public var guardLRFactor: Double
    public var guardMaxEvents: Int
    public var explodeFactor: Double

    public init(epochs: Int = 100, batchSize: Int = 64, learningRate: Double = 1e-3, optimizer: OptimizerKind = .rmsprop,
                clipNorm: Double? = nil, shuffleSeed: UInt64 = 0, constraint: RecurrentConstraint = .none, patience: Int = 10,
                guardLRFactor: Double = 0.5, guardMaxEvents: Int = 20, explodeFactor: Double = 100) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.optimizer = optimizer
        self.clipNorm = clipNorm; self.shuffleSeed = shuffleSeed; self.constraint = constraint; self.patience = patience
        self.guardLRFactor = guardLRFactor; self.guardMaxEvents = guardMaxEvents; self.explodeFactor = explodeFactor
    }
}

/// Everything the loop carries from one epoch to the next; a checkpoint is this value.
public struct ClassifierState: Sendable, Equatable {
    /// Completed epochs.
    public var epoch = 0
    public var params: [Float]
    public var optimizer: OptimizerState
    public var learningRate: Double
    /// Per completed epoch.
    public var trainLoss: [Double] = [], trainAccuracy: [Double] = []
    public var validationLoss: [Double] = [], validationAccuracy: [Double] = []
    public var testLoss: [Double] = [], testAccuracy: [Double] = []
    /// Epoch 0 (the initial parameters).
    public var initialValidationAccuracy = Double.nan, initialTestAccuracy = Double.nan
    /// 1-based epoch with the best validation accuracy; 0 before any.
    public var bestEpoch = 0
    public var events: [String] = []
    public var guardEvents = 0
    public var contractiveClips = 0
    public var diverged = false
    public var divergedEpoch: Int?
    public var stoppedEarly = false
    /// True once the run has ended (epochs done, early stop or divergence).
    public var finished = false

    public init(params: [Float], optimizer: OptimizerState, learningRate: Double) {
        self.params = params; self.optimizer = optimizer; self.learningRate = learningRate
    }
}

public enum ClassifierTrainer {
    /// Trains from `resume` if given (a state an earlier run of the same job checkpointed), else
    /// from `initialParams`. `checkpoint` is called with the state after every completed epoch.
    /// Throws `JobCancelled` at the next batch once `cancellation` is set.
    public static func train(shape: ModelShape, initialParams: [Float], config: ClassifierConfig, data: PixelSplits,
                             resume: ClassifierState? = nil, preferReferenceKernel: Bool = false,
                             checkpoint: (ClassifierState) throws -> Void = { _ in },
                             cancellation: Cancellation? = nil,
                             progress: (String) -> Void = { _ in }) throws -> ClassifierState {
        precondition(initialParams.count == shape.parameterCount && shape.inputs == 1)
        let T = data.train.steps, B = config.batchSize, q = shape.outputs
        let kernel = ClassifierKernelFactory.make(shape: shape, steps: T, maxBatch: B, preferReference: preferReferenceKernel)
        var bx = [Float](repeating: 0, count: T * B), by = [Int32](repeating: 0, count: B)
        var grad = [Float](repeating: 0, count: shape.parameterCount)
        let wSlot = shape.cell == .relu ? shape.slot("W") : nil
        let divergenceGuard = DivergenceGuard(lrFactor: config.guardLRFactor, maxEvents: config.guardMaxEvents)
        let explode = config.explodeFactor * Foundation.log(Double(q))

        func evaluate(_ set: PixelSequences, _ params: [Float]) -> (loss: Double, accuracy: Double) {
            var loss = 0.0, correct = 0, start = 0
            while start < set.count {
                let idx = Array(start..<min(start + B, set.count))
                set.gather(idx[...], x: &bx, labels: &by)
                let r = kernel.run(params: params, x: bx, labels: by, batch: idx.count, scale: 1, grad: nil)
                loss += r.loss; correct += r.correct
                start += B
            }
            return (loss / Double(set.count), Double(correct) / Double(set.count))
        }

        var state: ClassifierState
        if let resume {
            precondition(resume.params.count == shape.parameterCount)
            state = resume
            progress("resumed after epoch \(state.epoch)")
        } else {
            state = ClassifierState(params: initialParams,
                                    optimizer: Optimizer(kind: config.optimizer, learningRate: config.learningRate,
                                                         parameterCount: initialParams.count).state,
                                    learningRate: config.learningRate)
            state.initialValidationAccuracy = evaluate(data.validation, initialParams).accuracy
            state.initialTestAccuracy = evaluate(data.test, initialParams).accuracy
        }

        while !state.finished {
            if state.epoch >= config.epochs { state.finished = true; break }
            let epoch = state.epoch + 1
            var params = state.params
            var optimizer = Optimizer(kind: config.optimizer, learningRate: state.learningRate, parameterCount: params.count)
            optimizer.state = state.optimizer
            var order = Array(0..<data.train.count)
            var rng = Xoshiro256(seed: config.shuffleSeed, stream: "shuffle", index: UInt64(epoch))
            rng.shuffle(&order)
            var failure: String?
            var lossSum = 0.0, correct = 0, start = 0, batchIndex = 0
            while start < order.count {
                let idx = order[start..<min(start + B, order.count)]
                batchIndex += 1
                try cancellation?.check()
                data.train.gather(idx, x: &bx, labels: &by)
                let r = kernel.run(params: params, x: bx, labels: by, batch: idx.count, scale: 1 / Float(idx.count), grad: &grad)
                let mean = r.loss / Double(idx.count)
                if !mean.isFinite || mean > explode { failure = "batch \(batchIndex) loss \(mean)"; break }
                let norm = config.clipNorm.map { clipGlobalNorm(&grad, maxNorm: $0) } ?? Trainer.gradientNorm(grad)
                if !norm.isFinite { failure = "batch \(batchIndex) gradient norm \(norm)"; break }
                optimizer.step(params: &params, grad: grad)
                if let w = wSlot, config.constraint != .none {
                    do { try Trainer.applyConstraint(config.constraint, to: &params, slot: w) } catch {
                        failure = "batch \(batchIndex) projection failed (\(error))"; break
                    }
                }
                lossSum += r.loss; correct += r.correct
                start += B
            }
            var val = (loss: Double.nan, accuracy: Double.nan), test = val
            if failure == nil {
                val = evaluate(data.validation, params)
                if !val.loss.isFinite || val.loss > explode { failure = "validation loss \(val.loss)" }
            }
            if let failure {
                let verdict = divergenceGuard.badEpoch(earlierEvents: state.guardEvents, learningRate: state.learningRate,
                                                       params: &state.params, w: wSlot, constraint: config.constraint)
                state.guardEvents += 1
                guard case let .retry(lr, remedy, clipped) = verdict else {
                    state.diverged = true; state.divergedEpoch = epoch; state.finished = true
                    state.events.append(divergenceGuard.giveUpEvent(epoch: epoch, failure: failure, learningRate: state.learningRate))
                    break
                }
                if clipped { state.contractiveClips += 1 }
                state.events.append("epoch \(epoch): \(failure); restored the state of epoch \(epoch - 1)\(remedy), "
                                    + "learning rate \(state.learningRate) -> \(lr)")
                progress("guard: " + state.events.last!)
                state.learningRate = lr
                continue
            }
            test = evaluate(data.test, params)
            state.params = params
            state.optimizer = optimizer.state
            state.epoch = epoch
            state.trainLoss.append(lossSum / Double(order.count))
            state.trainAccuracy.append(Double(correct) / Double(order.count))
            state.validationLoss.append(val.loss); state.validationAccuracy.append(val.accuracy)
            state.testLoss.append(test.loss); state.testAccuracy.append(test.accuracy)
            if state.bestEpoch == 0 || val.accuracy > state.validationAccuracy[state.bestEpoch - 1] { state.bestEpoch = epoch }
            if epoch >= config.epochs {
                state.finished = true
            } else if epoch - state.bestEpoch >= config.patience {
                state.finished = true; state.stoppedEarly = true
            }
            progress(String(format: "epoch %d/%d train_loss %.4f train_acc %.4f val_acc %.4f test_acc %.4f lr %g%@",
                            epoch, config.epochs, state.trainLoss.last!, state.trainAccuracy.last!, val.accuracy, test.accuracy,
                            state.learningRate, state.stoppedEarly ? " (early stop: best epoch \(state.bestEpoch))" : ""))
            try checkpoint(state)
        }
        return state
    }
}
