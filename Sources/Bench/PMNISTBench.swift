import ArgumentParser
import Foundation
import Shared

/// pMNIST training throughput: a fraction of one epoch of 60,000 sequences x 784 steps at batch 64
/// (forward + backward + RMSProp update, plus the projection for the URNN), timed on one thread and
/// scaled to the whole epoch. Data: Debian's Fashion-MNIST (same format and size as MNIST).
///
/// FLOP count (stated, not measured): multiply-add = 2 FLOPs, forward + backward = 3 x forward;
/// forward multiply-adds per sequence: 784 steps x (RNN/URNN n^2 + n, LSTM 4 n (n + 1)) + 10 n.
/// Non-linearities, the softmax, the optimizer and the projection are not counted.
struct PMNISTBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pmnist", abstract: "CPU seconds per pMNIST epoch (60,000 x 784 steps, batch 64), GFLOP/s.")

    @Option(help: "Dataset directory (four IDX files).") var data: String = "/usr/share/datasets/fashion-mnist"
    @Option(help: "Models, comma separated.") var models: String = "rnn,urnn,lstm"
    @Option(help: "Hidden sizes, comma separated.") var hidden: String = "64,128"
    @Option(help: "Timed batches of 64 per configuration (the epoch's 938 are scaled from these).") var batches: Int = 10
    @Option(help: "Repeats of the timed batches (the minimum is reported).") var repeats: Int = 2

    func run() throws {
        let kinds = try models.split(separator: ",").map { s -> ModelKind in
            guard let m = ModelKind(rawValue: String(s)) else { throw ValidationError("unknown model \(s)") }
            return m
        }
        let sizes = try hidden.split(separator: ",").map { s -> Int in
            guard let n = Int(s), (1...1024).contains(n) else { throw ValidationError("bad hidden size \(s) (1...1024)") }
            return n
        }
        guard (1...938).contains(batches), (1...20).contains(repeats) else { throw ValidationError("--batches in 1...938, --repeats in 1...20") }
        let dataset = try ImageDataset.load(directory: data)
        let splits = try PixelSplits.make(dataset, validation: nil, seed: 0, permuted: true, pool: 1, trainLimit: nil, testLimit: nil)
        let B = 64, T = splits.train.steps, epochBatches = (60_000 + B - 1) / B
        print("build \(BuildInfo.build); data \(data) (\(dataset.trainImages.count) train images, fingerprint \(dataset.fingerprint))")
        print("one epoch = 60,000 sequences x \(T) steps = \(epochBatches) batches of \(B); timed: \(batches) batches, min of \(repeats); 1 thread")
        print("subnormals flushed to zero, as in a pmnist job (Subnormals)")
        print("cpu s/epoch = this thread's CPU seconds for the timed batches x \(epochBatches) / \(batches); GFLOP/s from cpu")
        print("model  hidden  cpu s/batch  cpu s/epoch  GFLOP/epoch  GFLOP/s  peakRSS(MB)")
        var bx = [Float](repeating: 0, count: T * B), by = [Int32](repeating: 0, count: B)
        for kind in kinds {
            for n in sizes {
                let shape = ModelShape(cell: kind == .lstm ? .lstm : .relu, hidden: n, inputs: 1, outputs: 10)
                var r = Xoshiro256(seed: UInt64(n))
                var params = Initializer.keras(shape, rng: &r).map(Float.init)
                let kernel = ClassifierKernelFactory.make(shape: shape, steps: T, maxBatch: B)
                var optimizer = Optimizer(kind: .rmsprop, learningRate: 1e-3, parameterCount: params.count)
                var grad = [Float](repeating: 0, count: params.count)
                let constraint = SyntheticExperiment.constraintFor(kind)
                let w = shape.cell == .relu ? shape.slot("W") : nil
                var best = Double.infinity
                // As a pmnist job runs: subnormals flushed (Subnormals).
                try Subnormals.flushed {
                    for _ in 0..<repeats {
                        let c0 = threadCPUSeconds()
                        for b in 0..<batches {
                            splits.train.gather(Array((b * B)..<((b + 1) * B))[...], x: &bx, labels: &by)
                            let res = kernel.run(params: params, x: bx, labels: by, batch: B, scale: 1 / Float(B), grad: &grad)
                            precondition(res.loss.isFinite)
                            optimizer.step(params: &params, grad: grad)
                            if let w, constraint != .none { try Trainer.applyConstraint(constraint, to: &params, slot: w) }
                        }
                        best = min(best, threadCPUSeconds() - c0)
                    }
                }
                let perBatch = best / Double(batches)
                let macsPerSequence = Double(T) * Double(kind == .lstm ? 4 * n * (n + 1) : n * n + n) + Double(10 * n)
                let flops = 6.0 * macsPerSequence * 60_000
                let epoch = perBatch * Double(epochBatches)
                print(String(format: "%-6@ %6d  %11.4f  %11.1f  %11.1f  %7.2f  %11.1f", kind.rawValue, n, perBatch, epoch,
                             flops * 1e-9, flops / epoch * 1e-9, peakRSSMegabytes()))
            }
        }
    }

    func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
