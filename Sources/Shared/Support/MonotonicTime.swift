import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The monotonic clock (`CLOCK_MONOTONIC`), in seconds. Not wall time: use it only for
/// intervals. Kept here as the default clock; runtimes take a clock as a parameter.
public enum MonotonicTime {
    public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
