import Foundation
import Shared

/// A rough CPU-time model for planning sweeps. It answers "minutes, hours or days?", not
/// "how many seconds": treat it as good to a factor of about 2, and calibrate `scale`
/// (`urnn-coordinator plan --scale`) against one real job timed with `urnn-worker run`.
///
/// Synthetic jobs (one sequence-step = one time step of one sequence):
///
///     seconds = scale * ( setup + epochs * ( train * steps * trainStep(model, h)
///                                          + (sequences - train) * steps * trainStep(model, h) / 3
///                                          + ceil(train / batch) * projection(model, h) ) )
///
///     setup = 0.05 s + (100 * 100 + sequences) * steps * 50 ns   teacher bias calibration (100 rounds
///                                                                 of 100 sequences) and data generation
///     trainStep(rnn | urnn | crnn, h) = 27 ns + 0.25 ns * (h + inputs)^2     forward + backward + update
///     trainStep(lstm, h)              = 100 ns + 1.45 ns * (h + inputs)^2    four gates
///     projection(urnn | crnn, h)      = 5 us + 5 ns * h^3                    SVD after each step
///
/// The test pass is forward only (a third of a training step). The per-step constants are fitted
/// to `urnn-bench`'s CPU seconds per paper-scale epoch of the release build (docs/EXPERIMENTS.md:
/// RNN 0.022 / 0.032 / 0.063 s and LSTM 0.086 / 0.147 / 0.328 s at h = 2 / 8 / 14, divided by
/// 700 x 1000 steps). So a paper-scale job (700 x 1000 steps x 100 epochs) at h = 14 is about
/// 7 s of CPU for the RNN and 35 s for the LSTM; a debug build is 10-50x slower.
///
/// Theorem jobs (guesses from the work they do, not measurements):
///     theorem1: 0.05 s + 10,000 steps * 4 ns * (2n)^2     construct + certify over 10,000 steps
///     theorem2: 20 s * n                                  several URNN fits per m = n..2n
///     theorem3: 60 s                                      URNN fits for m = 2..32
/// Noop jobs cost 0 CPU (their `sleep_ms` is wall time, reported separately).
public struct CostModel: Sendable {
    /// Multiplies every synthetic and theorem estimate (1 = the constants above).
    public var scale: Double

    public init(scale: Double = 1) { self.scale = scale }

    /// Estimated CPU seconds of one job.
    public func cpuSeconds(_ job: JobSpec) -> Double {
        switch job.kind {
        case .synthetic:
            guard let s = job.synthetic else { return 0 }
            let width = Double(s.hidden + s.inputs)
            // Compared, not switched on, so a new model kind costs like a ReLU RNN until it gets its own line.
            let step = s.model == .lstm ? 100e-9 + 1.45e-9 * width * width : 27e-9 + 0.25e-9 * width * width
            let projects = s.model == .urnn || s.model == .crnn
            let projection = projects ? 5e-6 + 5e-9 * pow(Double(s.hidden), 3) : 0
            let train = Double(s.trainSequences), test = Double(s.sequences - s.trainSequences)
            let batches = (Double(s.trainSequences) / Double(s.batchSize)).rounded(.up)
            let epoch = train * Double(s.steps) * step + test * Double(s.steps) * step / 3 + batches * projection
            let setup = 0.05 + Double(100 * 100 + s.sequences) * Double(s.steps) * 50e-9
            return scale * (setup + Double(s.epochs) * epoch)
        case .theorem1:
            let n = Double(job.theory?.n ?? 1)
            return scale * (0.05 + 10_000 * 4e-9 * 4 * n * n)
        case .theorem2:
            return scale * 20 * Double(job.theory?.n ?? 1)
        case .theorem3:
            return scale * 60
        case .noop:
            return 0
        case .pmnist:
            return job.pmnist.map { scale * Self.pmnistSeconds($0) } ?? 0
        }
    }

    /// Wall time a job spends sleeping on purpose (noop `sleep_ms`), in seconds.
    public func sleepSeconds(_ job: JobSpec) -> Double {
        Double(job.noop?.sleepMilliseconds ?? 0) / 1000
    }

    /// "42 s", "3.5 min", "2.1 h", "3.2 days".
    public static func format(seconds: Double) -> String {
        if seconds < 1 { return seconds == 0 ? "0 s" : String(format: "%.2f s", seconds) }
        if seconds < 120 { return String(format: "%.0f s", seconds) }
        if seconds < 7200 { return String(format: "%.1f min", seconds / 60) }
        if seconds < 3 * 86400 { return String(format: "%.1f h", seconds / 3600) }
        return String(format: "%.1f days", seconds / 86400)
    }
}
