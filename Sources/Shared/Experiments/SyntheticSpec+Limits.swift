/// Upper limits of a synthetic spec, beyond `validate()`'s signs and ranges: values no experiment
/// needs and that would hold a worker for days or exhaust its memory. `JobSpec.validate()` calls
/// both, so a sweep file, `urnn-worker exec --spec` and an ASSIGN are checked the same way.
extension SyntheticSpec {
    public func validateLimits() throws {
        func over(_ field: String, _ value: some Numeric & Comparable, _ limit: some Numeric & Comparable) -> SpecError {
            SpecError(field: field, message: "must be at most \(limit), got \(value)")
        }
        if epochs > 100_000 { throw over("epochs", epochs, 100_000) }
        if inputs > 4096 { throw over("inputs", inputs, 4096) }
        if outputs > 4096 { throw over("outputs", outputs, 4096) }
        if teacherHidden > 4096 { throw over("teacher-hidden", teacherHidden, 4096) }
        if batchSize > 1_000_000 { throw over("batch", batchSize, 1_000_000) }
        if let c = calibrationSequences, c > 100_000 { throw over("calibration-sequences", c, 100_000) }
        if let c = calibrationRounds, c > 100_000 { throw over("calibration-rounds", c, 100_000) }
        if let m = guardMaxEvents, m > 1_000_000 { throw over("guard-max-events", m, 1_000_000) }
        if abs(snrDB) > 300 { throw SpecError(field: "snr", message: "must be in -300...300 dB, got \(snrDB)") }
    }
}
