// swift-tools-version:6.1
import Foundation
import PackageDescription

// Instruction set of the training core (docs/DEPLOY.md, "Instruction set").
// The kernels' arithmetic is lane-wise IEEE with every reduction in a fixed order, and Swift never
// fuses `a * b + c` into an FMA, so an AVX2 build and a plain x86-64 build compute bit-identical
// results (a test checks it); AVX2 only needs half the instructions. URNN_ISA selects:
//   auto      (default) x86-64-v3 (Haswell, Zen and later) if the building machine has it, else baseline
//   x86-64-v3 always (the binaries refuse to start, with a message, on a CPU without it)
//   baseline  plain x86-64 (SSE2): for one binary copied to older machines as well
let isa: String = {
    let asked = ProcessInfo.processInfo.environment["URNN_ISA"].flatMap { $0.isEmpty ? nil : $0 } ?? "auto"
    switch asked {
    case "baseline", "x86-64-v3": return asked
    case "auto":
        #if arch(x86_64)
        // The flags Haswell code generation may use; every AVX2 CPU so far has them all.
        let need: Set<Substring> = ["avx", "avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt", "f16c", "xsave"]
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        return need.isSubset(of: Set(flags)) ? "x86-64-v3" : "baseline"
        #else
        return "baseline"
        #endif
    default:
        FileHandle.standardError.write(Data("URNN_ISA=\(asked): expected auto, x86-64-v3 or baseline\n".utf8))
        exit(2)
    }
}()
/// `#if URNN_ISA_V3` in every target: the executables check the CPU before running Shared's code.
let isaDefines: [SwiftSetting] = isa == "x86-64-v3" ? [.define("URNN_ISA_V3")] : []
/// LLVM names x86-64-v3 `haswell` (same feature set, plus tuning).
let isaCodegen: [SwiftSetting] = isa == "x86-64-v3" ? [.unsafeFlags(["-target-cpu", "haswell"])] : []

let package = Package(
    name: "URNNSweep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "urnn-coordinator", targets: ["CoordinatorCLI"]),
        .executable(name: "urnn-worker", targets: ["Worker"]),
        .executable(name: "urnn-bench", targets: ["Bench"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        // The live web view (issue 13, docs/WEB.md): HTTP on SwiftNIO, Prometheus text format.
        // Default traits off: swift-configuration support is not used and costs build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        // System-library shims: one module map per C library.
        .systemLibrary(name: "CZmq", path: "Sources/CZmq"),
        // LAPACK/CBLAS (OpenBLAS): only the tests use it, as the Jacobi SVD's reference twin.
        .systemLibrary(name: "CLapack", path: "Sources/CLapack"),
        // Header only: the CPUID check the executables make (BuildInfo) before Shared's code runs,
        // and the MXCSR that pMNIST jobs flush subnormals with (Support/Subnormals.swift).
        .systemLibrary(name: "CCPU", path: "Sources/CCPU"),
        // zlib (Debian zlib1g-dev): gzip-compressed dataset files (Support/Gzip.swift).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Header only: prctl(PR_SET_PDEATHSIG), so a local worker dies with its coordinator.
        .systemLibrary(name: "CProcess", path: "Sources/CProcess"),

        // The library both executables link: training core, experiments, theory,
        // job and result types, wire protocol, transport.
        .target(
            name: "Shared",
            dependencies: [
                "CZmq", "CCPU", "CZlib",
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))] + isaCodegen + isaDefines
        ),
        // The coordinator's web side (docs/WEB.md): Hummingbird, SSE, /metrics. A target of its own
        // so SwiftNIO stays out of the module that runs the ZeroMQ loop (docs/ARCHITECTURE.md).
        .target(
            name: "CoordinatorWeb",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The coordinator as a library (sweeps, scheduler, store, server, reports, its commands and
        // the coordinator benchmark); urnn-coordinator is CoordinatorCLI, one call into it.
        .target(
            name: "Coordinator",
            dependencies: [
                "Shared", "CoordinatorWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: isaDefines
        ),
        .executableTarget(name: "CoordinatorCLI", dependencies: ["Coordinator"], swiftSettings: isaDefines),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Shared", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: isaDefines
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Shared", "Coordinator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: isaDefines
        ),
        // What the tests share: the one fake coordinator, the one raw protocol client and the one
        // XML collector (Tests/Support). Only test targets depend on it.
        .target(name: "TestSupport", dependencies: ["Shared"], path: "Tests/Support", swiftSettings: isaDefines),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "CCPU", "CLapack", "TestSupport"], swiftSettings: isaDefines),
        .testTarget(name: "CoordinatorTests", dependencies: [
            "Coordinator", "Shared", "CoordinatorWeb", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: isaDefines),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Shared", "TestSupport"], swiftSettings: isaDefines),
        .testTarget(name: "IntegrationTests", dependencies: ["Shared", "TestSupport"], swiftSettings: isaDefines),
    ]
)
