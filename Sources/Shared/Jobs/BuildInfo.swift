import Foundation
#if URNN_ISA_V3
import CCPU
#endif

/// Version string of this build; workers report it, results record it.
public enum BuildInfo {
    public static let version = "urnnsweep-0.1.0"

    /// The instruction set Shared was compiled for (Package.swift, `URNN_ISA`): "x86-64-v3" or
    /// "baseline". Both compute bit-identical results; it is recorded for the audit trail.
    public static var instructionSet: String {
        #if URNN_ISA_V3
        "x86-64-v3"
        #else
        "baseline"
        #endif
    }

    /// What a worker reports and results record: the version with the instruction set as
    /// semantic-versioning build metadata, e.g. "urnnsweep-0.1.0+x86-64-v3".
    public static var build: String { version + "+" + instructionSet }

    /// The version part of a reported build string (build metadata after "+" dropped).
    public static func versionPart(of build: String) -> Substring {
        build.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)[0]
    }

    /// Ends the process with a message, before any of Shared's code runs, if Shared was built for
    /// x86-64-v3 and this CPU cannot run it (instead of dying of SIGILL in the middle of a job).
    /// Emitted into the calling executable, which is compiled for baseline x86-64.
    @_alwaysEmitIntoClient
    public static func exitUnlessThisCPURunsThisBuild(program: String) {
        #if URNN_ISA_V3
        if !urnn_cpu_runs_x86_64_v3() {
            let message = "\(program): this binary was built for x86-64-v3 (AVX2, FMA, BMI2), which this CPU does not have. "
                + "Rebuild on this machine, or build once for all machines with URNN_ISA=baseline "
                + "(results are bit-identical either way).\n"
            FileHandle.standardError.write(Data(message.utf8))
            exit(78)
        }
        #endif
    }
}
