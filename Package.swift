// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "URNNSweep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "urnn-coordinator", targets: ["Coordinator"]),
        .executable(name: "urnn-worker", targets: ["Worker"]),
        .executable(name: "urnn-bench", targets: ["Bench"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // System-library shims: one module map per C library.
        .systemLibrary(name: "CZmq", path: "Sources/CZmq"),
        .systemLibrary(name: "CLapack", path: "Sources/CLapack"),

        // The library both executables link: training core, experiments, theory,
        // job and result types, wire protocol, transport.
        .target(
            name: "Shared",
            dependencies: [
                "CZmq", "CLapack",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Shared"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Shared"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Shared"]),
    ]
)
