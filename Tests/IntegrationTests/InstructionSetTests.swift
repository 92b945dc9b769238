import Foundation
import Shared
import Testing

/// The training core is compiled for x86-64-v3 (AVX2) where the building machine has it, else for
/// baseline x86-64 (Package.swift, URNN_ISA). The claim that makes this safe: both builds compute
/// the same bits, so a sweep may mix workers of either kind (docs/DEPLOY.md, "Instruction set").
///
/// This test checks it on real jobs: it builds the release `urnn-worker` for baseline x86-64 into
/// `.build-baseline/` (`./x test` does that before `swift test`, so here it is a no-op) and runs
/// every spec below through `urnn-worker exec` of both builds: the x86-64-v3 debug build under test
/// and the baseline release build. Their outcomes must be equal byte for byte, which also checks
/// that optimisation (-Onone against -Ounchecked) changes no result.
@Suite struct InstructionSetTests {
    static var testBuildIsV3: Bool { BuildInfo.instructionSet == "x86-64-v3" }

    /// Small jobs touching every fast kernel (RNN, URNN with its SVD projection, contractive RNN,
    /// LSTM at 4, 8 and 16 lanes, RNN and LSTM in blocks of 16 lanes, the pMNIST classifiers), the optimizers,
    /// and the theory code.
    static var specs: [(String, JobSpec)] {
        func synthetic(_ m: ModelKind, _ h: Int, _ opt: OptimizerKind = .adam) -> JobSpec {
            var s = SyntheticSpec(model: m, hidden: h, realization: 2, seed: 1, epochs: 2)
            s.sequences = 30; s.trainSequences = 20; s.steps = 150; s.optimizer = opt
            return JobSpec(synthetic: s)
        }
        func pmnist(_ m: ModelKind, _ h: Int) -> JobSpec {
            var s = PMNISTSpec(model: m, hidden: h, data: Bin.packageRoot.appendingPathComponent("data/mnist5k").path, epochs: 2)
            s.pool = 7; s.trainLimit = 300; s.validation = 100; s.testLimit = 100
            return JobSpec(pmnist: s)
        }
        var t2 = TheorySpec(n: 2, seed: 3)
        t2.mValues = [2, 4]; t2.restarts = 1; t2.iterations = 300; t2.sequences = 4; t2.length = 40
        return [
            ("rnn-14", synthetic(.rnn, 14)), ("urnn-6", synthetic(.urnn, 6, .rmsprop)), ("crnn-3", synthetic(.crnn, 3, .sgd)),
            ("lstm-3", synthetic(.lstm, 3)), ("lstm-8", synthetic(.lstm, 8)), ("lstm-14", synthetic(.lstm, 14)),
            ("rnn-33", synthetic(.rnn, 33)), ("lstm-20", synthetic(.lstm, 20)),
            ("theorem1", JobSpec(kind: .theorem1, theory: TheorySpec(n: 5, seed: 2))),
            ("theorem2", JobSpec(kind: .theorem2, theory: t2)),
            // The classifier kernels (pMNIST): padded lanes (11 units), the URNN, the LSTM's gates.
            ("pmnist-rnn-11", pmnist(.rnn, 11)), ("pmnist-urnn-8", pmnist(.urnn, 8)), ("pmnist-lstm-12", pmnist(.lstm, 12)),
        ]
    }

    @Test(.enabled(if: testBuildIsV3, "the build under test is itself baseline: nothing to compare"))
    func baselineBuildGivesTheSameBits() throws {
        try Bin.require()
        let scratch = try Scratch("isa")
        let baseline = try BaselineBuild.worker(in: scratch)

        let v3Version = try runToEnd(Bin.worker, ["--version"], in: scratch)
        #expect(v3Version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(BuildInfo.version)+x86-64-v3")
        let baseVersion = try runToEnd(baseline, ["--version"], in: scratch)
        #expect(baseVersion.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(BuildInfo.version)+baseline")

        for (name, spec) in Self.specs {
            let path = try scratch.write("\(name).json", try JSON.string(spec))
            let a = try runToEnd(Bin.worker, ["exec", "--spec", path, "--quiet"], in: scratch, timeout: 120)
            let b = try runToEnd(baseline, ["exec", "--spec", path, "--quiet"], in: scratch, timeout: 120)
            try #require(a.status == 0 && b.status == 0, "\(name): exec failed\n\(a.stderr)\n\(b.stderr)")
            #expect(a.stdout.contains("\"status\""), "\(name): no outcome printed: \(a.stdout)")
            #expect(a.stdout == b.stdout, "\(name): x86-64-v3 build gives\n\(a.stdout)\nbaseline build gives\n\(b.stdout)")
        }
    }
}

extension InstructionSetTests {
    /// glibc picks its libm variants by CPU: on this machine `cos` and `log` run as __cos_fma and
    /// __ieee754_log_fma, and with GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA (what a CPU without
    /// FMA gets) as __cos_avx and __ieee754_log_avx, which differ in the last bit for about 0.07%
    /// (cos) and 0.01% (log) of arguments (measured over 4 million uniform draws). The data path
    /// rounds every Gaussian draw to Float, which absorbs those differences: outcomes must not
    /// change. The first spec draws ~100,000 Gaussians, so some dozens of them differ in Double.
    @Test(.enabled(if: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" fma ") == true,
                   "this CPU has no FMA: glibc already runs its non-FMA libm here"))
    func libmWithoutFMAGivesTheSameBits() throws {
        try Bin.require()
        let scratch = try Scratch("libm")
        var big = SyntheticSpec(model: .rnn, hidden: 4, realization: 5, seed: 2, epochs: 1)
        big.sequences = 100; big.trainSequences = 70; big.steps = 500
        let specs = [("rnn-big", JobSpec(synthetic: big))] + Self.specs.filter { ["urnn-6", "lstm-8", "theorem1", "theorem2"].contains($0.0) }
        for (name, spec) in specs {
            let path = try scratch.write("\(name).json", try JSON.string(spec))
            var outputs: [String] = []
            for tunables in ["", "glibc.cpu.hwcaps=-AVX2,-FMA"] {
                let c = try Child(Bin.worker, ["exec", "--spec", path, "--quiet"], name: "exec-\(name)-\(outputs.count)", in: scratch,
                                  environment: ["GLIBC_TUNABLES": tunables])
                try #require(c.waitExit(timeout: 120), "\(name): exec did not finish\n\(c.diagnostics)")
                try #require(c.process.terminationStatus == 0, "\(name): exec failed\n\(c.diagnostics)")
                outputs.append(c.stdout)
            }
            #expect(outputs[0].contains("\"status\""))
            #expect(outputs[0] == outputs[1], "\(name): with FMA libm\n\(outputs[0])\nwithout\n\(outputs[1])")
        }
    }
}

/// `URNN_ISA=baseline swift build -c release --product urnn-worker --scratch-path .build-baseline`.
enum BaselineBuild {
    static let scratchPath = Bin.packageRoot.appendingPathComponent(".build-baseline")

    static func worker(in scratch: Scratch) throws -> URL {
        let args = ["swift", "build", "-c", "release", "--product", "urnn-worker",
                    "--package-path", Bin.packageRoot.path, "--scratch-path", scratchPath.path]
        let c = try Child(URL(fileURLWithPath: "/usr/bin/env"), args, name: "swift-build-baseline", in: scratch,
                          environment: ["URNN_ISA": "baseline"])
        try #require(c.waitExit(timeout: 900), "baseline build did not finish in 15 min\n\(c.diagnostics)")
        try #require(c.process.terminationStatus == 0, "baseline build failed\n\(c.diagnostics)")
        let bin = scratchPath.appendingPathComponent("release/urnn-worker")
        try #require(FileManager.default.isExecutableFile(atPath: bin.path))
        return bin
    }
}
