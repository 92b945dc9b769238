import Foundation
import Shared

extension CostModel {
    /// pMNIST jobs, at most (early stopping usually ends them sooner), one "sequence-step" being one
    /// pixel of one image:
    ///
    ///     seconds = epochs * ( train * steps * step(model, h) + (validation + test) * steps * step(model, h) / 3
    ///                          + ceil(train / batch) * projection(model, h) )
    ///     step(rnn | urnn | crnn, h) = 10 ns + 0.15 ns * h^2      forward + backward, batch-blocked kernel
    ///     step(lstm, h)              = 300 ns + 0.7 ns * h^2       four gates
    ///
    /// with the full MNIST sizes (55,000 train, 5,000 validation, 10,000 test) unless the spec limits
    /// them (`train_limit`, `test_limit`, `validation`). The step constants are fitted to
    /// `urnn-bench pmnist` (docs/EXPERIMENTS.md); projection as for synthetic jobs.
    static func pmnistSeconds(_ s: PMNISTSpec) -> Double {
        let h = Double(s.hidden)
        let step = s.model == .lstm ? 300e-9 + 0.7e-9 * h * h : 10e-9 + 0.15e-9 * h * h
        let projects = s.model == .urnn || s.model == .crnn
        let projection = projects ? 5e-6 + 5e-9 * pow(h, 3) : 0
        let validation = Double(s.validation ?? 5_000)
        let train = Double(s.trainLimit ?? 55_000), test = Double(s.testLimit ?? 10_000)
        let steps = Double(s.steps)
        let batches = (train / Double(s.batchSize)).rounded(.up)
        let epoch = train * steps * step + (validation + test) * steps * step / 3 + batches * projection
        return Double(s.epochs) * epoch
    }
}
