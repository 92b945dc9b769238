import Foundation
import Testing
@testable import Shared

@Suite struct TrainingTests {
    /// The paper's teacher and training recipe, reduced: 60 train / 20 test sequences of 50 steps.
    static func spec(_ model: ModelKind, hidden: Int = 4, epochs: Int = 30, realization: Int = 0) -> SyntheticSpec {
        var s = SyntheticSpec(model: model, hidden: hidden, realization: realization, epochs: epochs,
                              sequences: 80, steps: 50, trainSequences: 60)
        s.calibrationSequences = 20
        return s
    }

    @Test func reluRNNWithFourUnitsLearnsTheTeacher() throws {
        // Reaches test R^2 0.772 at its lowest-training-loss epoch (0.777 final; optimal 0.989)
        // after 30 epochs, from -0.92 at initialisation.
        let o = try SyntheticExperiment.run(Self.spec(.rnn)) { _ in }
        let r2 = try #require(o.metrics["test_r2"])
        print("rnn h=4 reduced problem: test R^2 \(r2), initial \(o.metrics["initial_test_r2"]!), optimal \(o.metrics["optimal_r2"]!)")
        #expect(o.status == .ok)
        #expect(r2 > 0.70)
        #expect(r2 < o.metrics["optimal_r2"]!)
        #expect(o.metrics["initial_test_r2"]! < 0)
        #expect(o.series["test_r2"]?.count == 30 && o.series["train_loss"]?.count == 30)
        #expect(o.series["train_loss"]!.last! < o.series["train_loss"]!.first! * 0.5)
        // The reported epoch is the one with the lowest training loss.
        let sel = try #require(SyntheticExperiment.selectedEpochIndex(trainLoss: o.series["train_loss"]!))
        #expect(o.metrics["selected_epoch"] == Double(sel + 1))
        #expect(o.metrics["test_r2"] == o.series["test_r2"]![sel])
        #expect(o.metrics["final_test_r2"] == o.series["test_r2"]!.last)
        #expect(o.metrics["best_test_r2"]! >= r2)
        for key in ["test_r2", "optimal_r2", "final_test_r2", "best_test_r2", "train_loss", "test_loss", "guard_events",
                    "teacher_w_norm", "teacher_active_min", "teacher_active_max", "realized_snr_db", "epochs_run"] {
            #expect(o.metrics[key]?.isFinite == true, "metric \(key)")
        }
    }

    @Test(arguments: [RecurrentConstraint.orthogonal, .contractive])
    func constrainedWStaysConstrainedThroughout(constraint: RecurrentConstraint) throws {
        let spec = Self.spec(constraint == .orthogonal ? .urnn : .crnn, hidden: 5, epochs: 6)
        let data = try SyntheticData.make(spec)
        let shape = ModelShape(cell: .relu, hidden: 5, inputs: 2, outputs: 2)
        var rng = Xoshiro256(seed: 9)
        let p0 = Initializer.keras(shape, rng: &rng).map(Float.init)
        let w = shape.slot("W")
        nonisolated(unsafe) var checked = 0
        nonisolated(unsafe) var worst = 0.0
        let r = Trainer.train(shape: shape, initialParams: p0, config: TrainingConfig(epochs: 6, constraint: constraint),
                              train: data.train, test: data.test, afterEpoch: { epoch, params in
            let W = params[w.range].map(Double.init)
            if constraint == .orthogonal {
                let wtw = Mat.mul(Mat.t(W, 5), W, 5)
                worst = max(worst, Mat.maxAbsDiff(wtw, Mat.identity(5)))
            } else {
                worst = max(worst, (try? MatrixProjection.spectralNorm(W, rows: 5, cols: 5)) ?? .nan)
            }
            checked += 1
        })
        #expect(checked == 6 && !r.diverged)
        if constraint == .orthogonal { #expect(worst < 1e-5, "max |W^T W - I| = \(worst)") }
        else { #expect(worst <= 1 + 1e-5, "max ||W|| = \(worst)") }
        // W moved (it is trained, not frozen).
        #expect(Array(r.params[w.range]) != Array(p0[w.range]))
    }

    @Test func sameSpecGivesBitIdenticalOutcome() throws {
        let a = try SyntheticExperiment.run(Self.spec(.lstm, hidden: 3, epochs: 2)) { _ in }
        let b = try SyntheticExperiment.run(Self.spec(.lstm, hidden: 3, epochs: 2)) { _ in }
        #expect(a.bitwiseEqual(b))
        let c = try SyntheticExperiment.run(Self.spec(.lstm, hidden: 3, epochs: 2, realization: 1)) { _ in }
        #expect(c.metrics["teacher_w_norm"] != a.metrics["teacher_w_norm"])
        #expect(c.metrics["test_r2"] != a.metrics["test_r2"])
    }

    @Test func hugeLearningRateEndsDivergedWithTheEpoch() throws {
        var s = Self.spec(.rnn, epochs: 3)
        s.optimizer = .sgd; s.learningRate = 1e6; s.clipNorm = nil; s.guardMaxEvents = 8
        let o = try SyntheticExperiment.run(s) { _ in }
        #expect(o.status == .diverged)
        #expect(o.divergedEpoch == 1)
        #expect(o.events.count == 9)  // 8 repairs tried, then the verdict
        #expect(o.metrics["guard_events"] == 9)
        #expect(o.metrics["test_r2"]?.isFinite == true)  // the last good state's (here: the initial) R^2
        #expect(try JSON.decode(JobOutcome.self, from: JSON.encode(o)).bitwiseEqual(o))
    }

    @Test func guardRepairsADivergenceByLoweringTheStep() throws {
        var s = Self.spec(.rnn, epochs: 3)
        s.optimizer = .sgd; s.learningRate = 1e3; s.clipNorm = nil; s.guardMaxEvents = 40
        let o = try SyntheticExperiment.run(s) { _ in }
        #expect(o.status == .ok)
        #expect(o.metrics["guard_events"]! >= 1)
        #expect(o.events.count == Int(o.metrics["guard_events"]!))
        #expect(o.events.first?.contains("learning rate 1000.0 -> 500.0") == true)
        #expect(o.events.first?.contains("restored parameters and optimizer state of epoch 0") == true)
        #expect(o.series["test_r2"]!.allSatisfy(\.isFinite) && o.series["test_r2"]!.count == 3)
        #expect(o.metrics["final_learning_rate"]! < 1e3)
    }

    @Test func adamFirstStepMovesEachParameterByTheLearningRate() {
        var opt = Optimizer(kind: .adam, learningRate: 0.01, parameterCount: 3)
        var p: [Float] = [1, 2, 3]
        opt.step(params: &p, grad: [0.5, -2, 0])
        #expect(abs(p[0] - 0.99) < 1e-6 && abs(p[1] - 2.01) < 1e-6 && p[2] == 3)
        var sgd = Optimizer(kind: .sgd, learningRate: 0.1, parameterCount: 1)
        var q: [Float] = [1]
        sgd.step(params: &q, grad: [2])
        #expect(abs(q[0] - 0.8) < 1e-7)
        var g: [Float] = [3, 4]
        #expect(clipGlobalNorm(&g, maxNorm: 1) == 5)
        #expect(abs(g[0] - 0.6) < 1e-7 && abs(g[1] - 0.8) < 1e-7)
    }

    @Test func fastAndReferenceKernelsTrainAlike() throws {
        let spec = Self.spec(.lstm, hidden: 3, epochs: 2)
        let data = try SyntheticData.make(spec)
        let shape = ModelShape(cell: .lstm, hidden: 3, inputs: 2, outputs: 2)
        var rng = Xoshiro256(seed: 4)
        let p0 = Initializer.keras(shape, rng: &rng).map(Float.init)
        let cfg = TrainingConfig(epochs: 2)
        let fast = Trainer.train(shape: shape, initialParams: p0, config: cfg, train: data.train, test: data.test)
        let ref = Trainer.train(shape: shape, initialParams: p0, config: cfg, train: data.train, test: data.test,
                                preferReferenceKernel: true)
        for (a, b) in zip(fast.testR2, ref.testR2) { #expect(abs(a - b) < 1e-3) }
    }
}

@Suite struct StudentInitTests {
    @Test func identityInitStartsWFromIAndLeavesTheRestAsKeras() {
        let shape = ModelShape(cell: .relu, hidden: 5, inputs: 2, outputs: 2)
        var a = Xoshiro256(seed: 3, stream: "student-init", index: 0)
        var b = a
        let keras = Initializer.keras(shape, rng: &a)
        let identity = Initializer.keras(shape, rng: &b, recurrent: .identity)
        let w = shape.slot("W")
        for i in 0..<5 { for j in 0..<5 { #expect(identity[w.offset + i * 5 + j] == (i == j ? 1 : 0)) } }
        // Keras's W is a random orthogonal matrix, not the identity.
        #expect(keras[w.range] != identity[w.range])
        // F is drawn first, from the same stream, so it is the same.
        #expect(keras[shape.slot("F").range] == identity[shape.slot("F").range])
    }

    @Test func rotationInitIsKerasWithDeterminantPlusOne() {
        var minus = 0
        for seed in 0..<40 {
            let shape = ModelShape(cell: .relu, hidden: 2 + seed % 4, inputs: 2, outputs: 2)
            var a = Xoshiro256(seed: UInt64(seed), stream: "student-init", index: 0)
            var b = a
            let keras = Initializer.keras(shape, rng: &a)
            let rot = Initializer.keras(shape, rng: &b, recurrent: .rotation)
            let w = shape.slot("W"), n = shape.hidden
            let dk = Initializer.determinantSign(Array(keras[w.range]), n: n)
            #expect(Initializer.determinantSign(Array(rot[w.range]), n: n) == 1)
            if dk < 0 {
                minus += 1
                for i in 0..<n { for j in 0..<n {
                    #expect(rot[w.offset + i * n + j] == (j == 0 ? -1 : 1) * keras[w.offset + i * n + j])
                } }
            } else {
                #expect(rot == keras)
            }
            // Everything but W is the same draw.
            #expect(Array(rot[..<w.offset]) == Array(keras[..<w.offset]) && Array(rot[w.range.upperBound...]) == Array(keras[w.range.upperBound...]))
        }
        #expect(minus > 5 && minus < 35)  // Keras's draw is Haar on O(n): det -1 about half the time
        #expect(Initializer.determinantSign([0, 1, 1, 0], n: 2) == -1 && Initializer.determinantSign([2, 0, 0, 3], n: 2) == 1)
        #expect(Initializer.determinantSign([1, 2, 2, 4], n: 2) == 0)
    }

    @Test func optimizerEpsilonEntersTheDenominator() {
        // Adam's first step: theta -= lr_t m / (sqrt(v) + eps) with m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(0.001)/0.1.
        // With g tiny the epsilon dominates, so 1e-7 and 1e-3 give clearly different steps.
        var small = Optimizer(kind: .adam, learningRate: 0.1, parameterCount: 1)
        var large = Optimizer(kind: .adam, learningRate: 0.1, parameterCount: 1, epsilon: 1e-3)
        var p1: [Float] = [0], p2: [Float] = [0]
        small.step(params: &p1, grad: [1e-6])
        large.step(params: &p2, grad: [1e-6])
        #expect(abs(p1[0]) > 10 * abs(p2[0]))
        #expect(small.epsilon == Float(1e-7))
    }

    @Test func syntheticSpecValidatesTheNewFields() {
        var s = SyntheticSpec(model: .lstm, hidden: 2)
        s.initialization = .identity
        #expect(throws: SpecError.self) { try s.validate() }
        s.model = .urnn
        #expect(throws: Never.self) { try s.validate() }
        for bad in [0.0, -1e-8, .nan, 2] {
            s.optimizerEpsilon = bad
            #expect(throws: SpecError.self) { try s.validate() }
        }
    }
}
