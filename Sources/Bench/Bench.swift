import ArgumentParser
import Coordinator
import Foundation
import Shared

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "urnn-bench",
        abstract: "Benchmarks of the training core and the coordinator.",
        subcommands: [TrainingBench.self, PMNISTBench.self, CoordinatorBenchCommand.self],
        defaultSubcommand: TrainingBench.self
    )

    static func main() {
        BuildInfo.exitUnlessThisCPURunsThisBuild(program: "urnn-bench")
        main(nil)
    }
}

/// One paper-scale training epoch (700 sequences x 1000 steps, batch 10, forward + backward +
/// update, and the projection for the URNN) per (model, hidden), timed on one thread.
///
/// FLOP count (stated, not measured): multiply-add = 2 FLOPs, forward + backward = 3 x forward,
/// forward MACs per step and sequence: RNN/URNN n^2 + n p + q n, LSTM 4 n (n + p) + q n;
/// times 700 x 1000. Non-linearities, the optimizer and the projection are not counted.
struct TrainingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "training", abstract: "Seconds per paper-scale epoch, GFLOP/s, peak RSS.")

    @Option(help: "Models, comma separated.") var models: String = "rnn,urnn,lstm"
    @Option(help: "Hidden sizes, comma separated.") var hidden: String = "2,8,14"
    @Option(help: "Training sequences per epoch.") var sequences: Int = 700
    @Option(help: "Steps per sequence.") var steps: Int = 1000
    @Option(help: "Timed epochs per configuration (the minimum is reported).") var repeats: Int = 3
    @Flag(help: "Also run one whole paper-scale synthetic job with 1 epoch (data generation included).") var job = false

    func run() throws {
        let kinds = try models.split(separator: ",").map { s -> ModelKind in
            guard let m = ModelKind(rawValue: String(s)) else { throw ValidationError("unknown model \(s)") }
            return m
        }
        let sizes = try hidden.split(separator: ",").map { s -> Int in
            guard let n = Int(s), n > 0 else { throw ValidationError("bad hidden size \(s)") }
            return n
        }
        guard sequences >= 1, steps >= 1, repeats >= 1 else { throw ValidationError("sequences, steps, repeats must be >= 1") }
        let p = 2, q = 2
        var rng = Xoshiro256(seed: 2019)
        let x = (0..<(sequences * steps * p)).map { _ in Float(rng.gaussian()) }
        let y = (0..<(sequences * steps * q)).map { _ in Float(rng.gaussian()) }
        let train = SequenceSet(count: sequences, steps: steps, inputs: p, outputs: q, x: x, y: y)
        let test = train.subset([0])
        print("build \(BuildInfo.build) (instruction set: Package.swift, URNN_ISA)")
        print("one epoch = \(sequences) sequences x \(steps) steps, batch 10, Adam, clip 1.0; \(ProcessInfo.processInfo.processorCount) CPUs, 1 thread used")
        print("wall = elapsed seconds per epoch; cpu = this thread's CPU seconds (robust to a shared CPU); GFLOP/s from cpu")
        print("model  hidden   wall s    cpu s   GFLOP/epoch  GFLOP/s  peakRSS(MB)")
        for kind in kinds {
            for n in sizes {
                let shape = ModelShape(cell: kind == .lstm ? .lstm : .relu, hidden: n, inputs: p, outputs: q)
                var r = Xoshiro256(seed: UInt64(n))
                let params = Initializer.keras(shape, rng: &r).map(Float.init)
                let config = TrainingConfig(epochs: 1, constraint: SyntheticExperiment.constraintFor(kind))
                var best = Double.infinity, bestCPU = Double.infinity
                for _ in 0..<repeats {
                    let t0 = DispatchTime.now().uptimeNanoseconds, c0 = threadCPUSeconds()
                    let result = Trainer.train(shape: shape, initialParams: params, config: config, train: train, test: test)
                    let t1 = DispatchTime.now().uptimeNanoseconds, c1 = threadCPUSeconds()
                    precondition(result.testR2.count + result.guardEvents >= 1)
                    best = min(best, Double(t1 - t0) * 1e-9)
                    bestCPU = min(bestCPU, c1 - c0)
                }
                let flops = 6.0 * Double(shape.forwardMACsPerStep) * Double(sequences * steps)
                print(String(format: "%-6@ %6d  %7.4f  %7.4f   %11.3f  %7.2f  %11.1f", kind.rawValue, n, best, bestCPU, flops * 1e-9,
                             flops / bestCPU * 1e-9, peakRSSMegabytes()))
            }
        }
        if job {
            let spec = SyntheticSpec(model: .lstm, hidden: 14, epochs: 1)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let outcome = try SyntheticExperiment.run(spec) { _ in }
            let t1 = DispatchTime.now().uptimeNanoseconds
            print(String(format: "paper-scale job (%@, 1 epoch, data generation included): %.2f s, test R^2 %.4f, peak RSS %.1f MB",
                         spec.summary, Double(t1 - t0) * 1e-9, outcome[.testR2] ?? .nan, peakRSSMegabytes()))
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
