// The training loop: epochs of shuffled mini-batches of whole sequences, full
// backprop through time from a zero state, MSE over every step and output, an
// optimizer step, the recurrent constraint, and the divergence guard.
//
// Divergence guard (docs/EXPERIMENTS.md): an epoch is bad if any batch loss or
// gradient norm is non-finite, a batch MSE exceeds explodeFactor x the training
// targets' variance, the projection fails, or the end-of-epoch test loss is
// non-finite or exploding. A bad epoch is undone: parameters and optimizer state
// go back to the end of the previous epoch (the last state known good), and
// `DivergenceGuard` (shared with ClassifierTrainer) decides the rest: clip an
// unconstrained ReLU RNN's W to ||W|| <= 1, lower the learning rate, run the epoch
// again with the same batch order, or give up after guardMaxEvents interventions.

public enum Trainer {
    public static func train(shape: ModelShape, initialParams: [Float], config: TrainingConfig,
                             train: SequenceSet, test: SequenceSet, preferReferenceKernel: Bool = false,
                             progress: (String) -> Void = { _ in },
                             afterEpoch: ((Int, [Float]) -> Void)? = nil) -> TrainingResult {
        // Never cancelled: the same loop without a flag to check.
        try! Trainer.train(shape: shape, initialParams: initialParams, config: config, train: train, test: test,
                   preferReferenceKernel: preferReferenceKernel, cancellation: nil, progress: progress, afterEpoch: afterEpoch)
    }

    /// As above; throws `JobCancelled` before the next batch once `cancellation` is set.
    public static func train(shape: ModelShape, initialParams: [Float], config: TrainingConfig,
                             train: SequenceSet, test: SequenceSet, preferReferenceKernel: Bool = false,
                             cancellation: Cancellation?,
                             progress: (String) -> Void = { _ in },
                             afterEpoch: ((Int, [Float]) -> Void)? = nil) throws(JobCancelled) -> TrainingResult {
        precondition(train.steps == test.steps && initialParams.count == shape.parameterCount)
        let T = train.steps, q = shape.outputs, B = config.batchSize
        let kernel = KernelFactory.make(shape: shape, steps: T, maxBatch: B, preferReference: preferReferenceKernel)
        var params = initialParams
        var grad = [Float](repeating: 0, count: shape.parameterCount)
        var optimizer = Optimizer(kind: config.optimizer, learningRate: config.learningRate, parameterCount: params.count,
                                  epsilon: config.optimizerEpsilon)
        let evaluator = Evaluator(set: test, kernel: kernel, batch: B)
        let baseline = max(train.totalSumOfSquares / Double(train.count * T * q), 1e-12)
        let wSlot = shape.cell == .relu ? shape.slot("W") : nil

        let initial = evaluator.evaluate(params)
        var result = TrainingResult(params: params, diverged: false, divergedEpoch: nil, trainLoss: [], testLoss: [],
                                    testR2: [], initialTestLoss: initial.mse, initialTestR2: initial.r2, events: [],
                                    guardEvents: 0, finalLearningRate: config.learningRate)
        var goodParams = params, goodState = optimizer.state
        let constraint = config.constraint
        let divergenceGuard = DivergenceGuard(lrFactor: config.guardLRFactor, maxEvents: config.guardMaxEvents)
        var pass = EpochPass(kernel: kernel, train: train, config: config, baseline: baseline, w: wSlot)
        var epoch = 1
        while epoch <= config.epochs {
            var sseSum = 0.0
            var failure: String?
            switch try pass.run(epoch: epoch, params: &params, grad: &grad, optimizer: &optimizer, cancellation: cancellation) {
            case .success(let sse): sseSum = sse
            case .failure(let bad): failure = bad.description
            }
            var eval = (mse: Double.nan, r2: Double.nan)
            if failure == nil {
                eval = evaluator.evaluate(params)
                if !eval.mse.isFinite || eval.mse > config.explodeFactor * baseline { failure = "test loss \(eval.mse)" }
            }
            if let failure {
                params = goodParams
                let verdict = divergenceGuard.badEpoch(earlierEvents: result.guardEvents, learningRate: optimizer.learningRate,
                                                       params: &params, w: wSlot, constraint: constraint)
                result.guardEvents += 1
                guard case let .retry(lr, remedy, clipped) = verdict else {
                    result.diverged = true
                    result.divergedEpoch = epoch
                    result.events.append(divergenceGuard.giveUpEvent(epoch: epoch, failure: failure, learningRate: optimizer.learningRate))
                    break
                }
                if clipped { result.contractiveClips += 1 }
                result.events.append("epoch \(epoch): \(failure); restored parameters and optimizer state of epoch \(epoch - 1)"
                                     + remedy + ", learning rate \(optimizer.learningRate) -> \(lr)")
                progress("guard: " + result.events.last!)
                optimizer.state = goodState
                optimizer.learningRate = lr
                continue
            }
            result.trainLoss.append(sseSum / Double(train.count * T * q))
            result.testLoss.append(eval.mse)
            result.testR2.append(eval.r2)
            goodParams = params
            goodState = optimizer.state
            afterEpoch?(epoch, params)
            progress("epoch \(epoch)/\(config.epochs) train_loss \(fmt(result.trainLoss.last!)) test_loss \(fmt(eval.mse)) "
                     + "test_r2 \(fmt(eval.r2)) lr \(optimizer.learningRate)")
            epoch += 1
        }
        result.params = params
        result.finalLearningRate = optimizer.learningRate
        return result
    }

    /// Applies `constraint` to the [n, n] recurrent matrix at `slot` (projection in Double).
    public static func applyConstraint(_ constraint: RecurrentConstraint, to params: inout [Float], slot: TensorSlot) throws {
        let n = slot.rows
        let w = params[slot.range].map(Double.init)
        let projected: [Double]
        switch constraint {
        case .none: return
        case .orthogonal: projected = try MatrixProjection.nearestOrthogonal(w, n: n)
        case .contractive: projected = try MatrixProjection.clipSingularValues(w, n: n, bound: 1)
        }
        for i in 0..<projected.count { params[slot.offset + i] = Float(projected[i]) }
    }

    /// ||W||_2 of the [n, n] matrix at `slot`.
    static func spectralNorm(_ params: [Float], slot: TensorSlot) throws -> Double {
        try MatrixProjection.spectralNorm(params[slot.range].map(Double.init), rows: slot.rows, cols: slot.cols)
    }

    static func gradientNorm(_ g: [Float]) -> Double {
        var s = 0.0
        for v in g { s += Double(v) * Double(v) }
        return s.squareRoot()
    }

    static func fmt(_ x: Double) -> String { String(format: "%.5f", x) }
}

/// One epoch of training: the set shuffled by (seed, epoch), then for each mini-batch the
/// forward/backward kernel, the loss check, gradient clipping, the optimizer step and the
/// recurrent constraint. Owns the batch buffers; returns the summed SSE of the epoch, or why it
/// is bad (for the divergence guard, which undoes it).
struct EpochPass {
    struct Bad: Error, CustomStringConvertible { var description: String }

    let kernel: SequenceKernel
    let train: SequenceSet
    let config: TrainingConfig
    /// The training targets' variance: a batch MSE above `explodeFactor` x this is an explosion.
    let baseline: Double
    /// The recurrent matrix the constraint applies to (nil: none).
    let w: TensorSlot?
    private var bx: [Float], by: [Float]

    init(kernel: SequenceKernel, train: SequenceSet, config: TrainingConfig, baseline: Double, w: TensorSlot?) {
        self.kernel = kernel; self.train = train; self.config = config; self.baseline = baseline; self.w = w
        bx = [Float](repeating: 0, count: train.steps * config.batchSize * train.inputs)
        by = [Float](repeating: 0, count: train.steps * config.batchSize * train.outputs)
    }

    mutating func run(epoch: Int, params: inout [Float], grad: inout [Float], optimizer: inout Optimizer,
                      cancellation: Cancellation? = nil) throws(JobCancelled) -> Result<Double, Bad> {
        let T = train.steps, q = train.outputs, B = config.batchSize
        var order = Array(0..<train.count)
        var rng = Xoshiro256(seed: config.shuffleSeed, stream: "shuffle", index: UInt64(epoch))
        rng.shuffle(&order)
        var sseSum = 0.0
        var start = 0, batchIndex = 0
        while start < train.count {
            let idx = order[start..<min(start + B, train.count)]
            batchIndex += 1
            try cancellation?.check()
            train.gather(idx, x: &bx, y: &by)
            let scale = 1 / Float(idx.count * T * q)
            let sse = kernel.run(params: params, x: bx, y: by, batch: idx.count, scale: scale, grad: &grad)
            let mse = sse / Double(idx.count * T * q)
            if !mse.isFinite || mse > config.explodeFactor * baseline { return .failure(Bad(description: "batch \(batchIndex) loss \(mse)")) }
            let norm = config.clipNorm.map { clipGlobalNorm(&grad, maxNorm: $0) } ?? Trainer.gradientNorm(grad)
            if !norm.isFinite { return .failure(Bad(description: "batch \(batchIndex) gradient norm \(norm)")) }
            optimizer.step(params: &params, grad: grad)
            if let w, config.constraint != .none {
                do { try Trainer.applyConstraint(config.constraint, to: &params, slot: w) } catch {
                    return .failure(Bad(description: "batch \(batchIndex) projection failed (\(error))"))
                }
            }
            sseSum += sse
            start += B
        }
        return .success(sseSum)
    }
}

/// Test-set evaluation: the set is cut into batch-major chunks once; each call is
/// forward passes only. Returns MSE per value and R^2 = 1 - SSE / SST.
struct Evaluator {
    let kernel: SequenceKernel
    let chunks: [(x: [Float], y: [Float], count: Int)]
    let values: Double
    let sst: Double

    init(set: SequenceSet, kernel: SequenceKernel, batch: Int) {
        self.kernel = kernel
        var chunks: [(x: [Float], y: [Float], count: Int)] = []
        var start = 0
        while start < set.count {
            let idx = Array(start..<min(start + batch, set.count))
            var x = [Float](repeating: 0, count: set.steps * idx.count * set.inputs)
            var y = [Float](repeating: 0, count: set.steps * idx.count * set.outputs)
            set.gather(idx[...], x: &x, y: &y)
            chunks.append((x, y, idx.count))
            start += batch
        }
        self.chunks = chunks
        values = Double(set.count * set.steps * set.outputs)
        sst = set.totalSumOfSquares
    }

    func evaluate(_ params: [Float]) -> (mse: Double, r2: Double) {
        var sse = 0.0
        for c in chunks { sse += kernel.run(params: params, x: c.x, y: c.y, batch: c.count, scale: 1, grad: nil) }
        return (sse / values, 1 - sse / sst)
    }
}

import Foundation
