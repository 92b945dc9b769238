import CCPU
import Foundation
import Shared
import Testing

/// The CPUID check that guards an x86-64-v3 build (BuildInfo.exitUnlessThisCPURunsThisBuild) agrees
/// with what the kernel reports in /proc/cpuinfo, and with the build's own choice (Package.swift
/// takes x86-64-v3 under URNN_ISA=auto exactly when the building machine has these flags).
@Suite struct InstructionSetCheckTests {
    static let v3Flags: Set<Substring> = ["avx", "avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "popcnt", "f16c", "xsave"]

    static func cpuinfoFlags() throws -> Set<Substring> {
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags") }, "no flags line in /proc/cpuinfo")
        return Set(line.split(separator: " "))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/cpuinfo")))
    func cpuidAgreesWithTheKernel() throws {
        #if arch(x86_64)
        let kernelSays = Self.v3Flags.isSubset(of: try Self.cpuinfoFlags())
        #expect(urnn_cpu_runs_x86_64_v3() == kernelSays)
        #else
        #expect(!urnn_cpu_runs_x86_64_v3())
        #endif
    }

    @Test func buildStringCarriesTheInstructionSet() {
        #expect(["x86-64-v3", "baseline"].contains(BuildInfo.instructionSet))
        #expect(BuildInfo.build == "\(BuildInfo.version)+\(BuildInfo.instructionSet)")
        #expect(BuildInfo.versionPart(of: BuildInfo.build) == BuildInfo.version[...])
        #expect(BuildInfo.versionPart(of: "urnnsweep-0.1.0") == "urnnsweep-0.1.0")
        #expect(BuildInfo.versionPart(of: "") == "")
        // A v3 build only runs where the check passes (or this test process would not be here).
        if BuildInfo.instructionSet == "x86-64-v3" { #expect(urnn_cpu_runs_x86_64_v3()) }
    }
}
