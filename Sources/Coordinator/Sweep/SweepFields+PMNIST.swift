import Foundation
import Shared

extension KindSchema {
    /// Every `PMNISTSpec` field, by its sweep-file key. Defaults are `PMNISTSpec`'s (the paper's).
    static let pmnist = KindSchema(
        kind: .pmnist,
        fields: [
            FieldInfo("model", .choice(ModelKind.allCases.map(\.rawValue))),
            FieldInfo("hidden", .int),
            FieldInfo("data", .text, check: { v in v.stringValue.contains("\0") ? "must not contain NUL" : nil }),
            FieldInfo("lr", .double, property: "learningRate"),
            FieldInfo("optimizer", .choice(OptimizerKind.allCases.map(\.rawValue))),
            FieldInfo("batch", .int, property: "batchSize"),
            FieldInfo("clip", .optionalDouble, property: "clipNorm"),
            FieldInfo("epochs", .int),
            FieldInfo("patience", .int),
            FieldInfo("seed", .int),
            FieldInfo("permuted", .bool),
            FieldInfo("validation", .int),
            FieldInfo("pool", .int),
            FieldInfo("train_limit", .int, property: "trainLimit", spec: ["train-limit"]),
            FieldInfo("test_limit", .int, property: "testLimit", spec: ["test-limit"]),
            FieldInfo("guard_lr_factor", .double, property: "guardLRFactor", spec: ["guard-lr-factor"]),
            FieldInfo("guard_max_events", .int, property: "guardMaxEvents", spec: ["guard-max-events"]),
        ],
        required: ["model", "hidden", "data"],
        make: { values in
            var s = PMNISTSpec(model: .rnn, hidden: 1, data: "")
            for (key, v) in values {
                switch key {
                case "model": s.model = ModelKind(rawValue: v.stringValue)!
                case "hidden": s.hidden = v.intValue
                case "data": s.data = v.stringValue
                case "lr": s.learningRate = v.doubleValue
                case "optimizer": s.optimizer = OptimizerKind(rawValue: v.stringValue)!
                case "batch": s.batchSize = v.intValue
                case "clip": s.clipNorm = v.optionalDoubleValue
                case "epochs": s.epochs = v.intValue
                case "patience": s.patience = v.intValue
                case "seed": s.seed = v.intValue
                case "permuted": s.permuted = v.boolValue
                case "validation": s.validation = v.intValue
                case "pool": s.pool = v.intValue
                case "train_limit": s.trainLimit = v.intValue
                case "test_limit": s.testLimit = v.intValue
                case "guard_lr_factor": s.guardLRFactor = v.doubleValue
                case "guard_max_events": s.guardMaxEvents = v.intValue
                default: preconditionFailure("pmnist schema lists \(key) but does not apply it")
                }
            }
            return JobSpec(pmnist: s)
        }
    )
}
