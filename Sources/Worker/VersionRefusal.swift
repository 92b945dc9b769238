import Foundation
import Shared

extension WorkerError {
    /// The error that ends a worker refused by a coordinator of another protocol version: its
    /// ERROR `unsupported-version`, read whatever version it is framed in (PROTOCOL.md 4.5).
    /// Nil when `frames` are no such ERROR: they are then dropped like any undecodable message.
    static func versionRefusal(_ frames: [Data], build: String) -> WorkerError? {
        guard let (theirs, report) = Message.decodeErrorOfAnyVersion(frames),
              report.code == ProtocolError.Code.unsupportedVersion.rawValue else { return nil }
        return .incompatible("it speaks protocol version \(theirs), this worker (\(build)) version \(Message.version), "
                             + "and refused it: \(report.message)")
    }
}
