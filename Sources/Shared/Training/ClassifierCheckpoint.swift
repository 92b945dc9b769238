import Foundation
// Checkpoints of running classification jobs on a worker's local disk: one file per job id,
// `<dir>/<job id>.pmnist-checkpoint.json`, rewritten atomically (temporary file + rename in the
// same directory) after every epoch and removed when the job's result is handed back.
//
// Every Float and Double is stored as its bit pattern, so a resumed run starts from exactly the
// state the interrupted one had (NaN included). A file that cannot be read or does not belong to
// the job (other id or format) is ignored with a note: the job then starts from scratch, which is
// always correct, only slower.

public struct CheckpointStore: Sendable {
    public static let format = 1
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func path(jobID: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("\(jobID).pmnist-checkpoint.json").path
    }

    /// The stored state of `jobID`, or nil (with the reason in `note`) if there is none usable.
    public func load(jobID: String, note: (String) -> Void = { _ in }) -> ClassifierState? {
        let p = path(jobID: jobID)
        guard FileManager.default.fileExists(atPath: p) else { return nil }
        do {
            let w = try JSONDecoder().decode(Wire.self, from: Data(contentsOf: URL(fileURLWithPath: p)))
            guard w.format == Self.format, w.jobID == jobID else {
                note("checkpoint \(p) is for job \(w.jobID) format \(w.format): ignored"); return nil
            }
            return w.state
        } catch {
            note("checkpoint \(p) unreadable (\(error)): starting from scratch"); return nil
        }
    }

    /// Writes `state` atomically (a reader sees the old file or the new one, never a mix).
    public func save(_ state: ClassifierState, jobID: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(Wire(jobID: jobID, state: state))
        try data.write(to: URL(fileURLWithPath: path(jobID: jobID)), options: .atomic)
    }

    public func remove(jobID: String) { try? FileManager.default.removeItem(atPath: path(jobID: jobID)) }

    /// The file layout: numbers as bit patterns.
    struct Wire: Codable {
        var format = CheckpointStore.format
        var jobID: String
        var epoch: Int
        var params: [UInt32], first: [UInt32], second: [UInt32], step: Int
        var learningRate: UInt64
        var series: [String: [UInt64]]
        var initialValidationAccuracy: UInt64, initialTestAccuracy: UInt64
        var bestEpoch: Int
        var events: [String]
        var guardEvents: Int, contractiveClips: Int
        var diverged: Bool, divergedEpoch: Int?, stoppedEarly: Bool, finished: Bool

        static let seriesNames = ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy"]

        init(jobID: String, state s: ClassifierState) {
            self.jobID = jobID
            epoch = s.epoch
            params = s.params.map(\.bitPattern); first = s.optimizer.first.map(\.bitPattern)
            second = s.optimizer.second.map(\.bitPattern); step = s.optimizer.step
            learningRate = s.learningRate.bitPattern
            let all = [s.trainLoss, s.trainAccuracy, s.validationLoss, s.validationAccuracy, s.testLoss, s.testAccuracy]
            series = Dictionary(uniqueKeysWithValues: zip(Self.seriesNames, all.map { $0.map(\.bitPattern) }))
            initialValidationAccuracy = s.initialValidationAccuracy.bitPattern
            initialTestAccuracy = s.initialTestAccuracy.bitPattern
            bestEpoch = s.bestEpoch; events = s.events; guardEvents = s.guardEvents; contractiveClips = s.contractiveClips
            diverged = s.diverged; divergedEpoch = s.divergedEpoch; stoppedEarly = s.stoppedEarly; finished = s.finished
        }

        var state: ClassifierState {
            var s = ClassifierState(params: params.map(Float.init(bitPattern:)),
                                    optimizer: OptimizerState(first: first.map(Float.init(bitPattern:)),
                                                              second: second.map(Float.init(bitPattern:)), step: step),
                                    learningRate: Double(bitPattern: learningRate))
            s.epoch = epoch
            func d(_ name: String) -> [Double] { (series[name] ?? []).map(Double.init(bitPattern:)) }
            s.trainLoss = d("train_loss"); s.trainAccuracy = d("train_accuracy")
            s.validationLoss = d("validation_loss"); s.validationAccuracy = d("validation_accuracy")
            s.testLoss = d("test_loss"); s.testAccuracy = d("test_accuracy")
            s.initialValidationAccuracy = Double(bitPattern: initialValidationAccuracy)
            s.initialTestAccuracy = Double(bitPattern: initialTestAccuracy)
            s.bestEpoch = bestEpoch; s.events = events; s.guardEvents = guardEvents; s.contractiveClips = contractiveClips
            s.diverged = diverged; s.divergedEpoch = divergedEpoch; s.stoppedEarly = stoppedEarly; s.finished = finished
            return s
        }
    }
}
