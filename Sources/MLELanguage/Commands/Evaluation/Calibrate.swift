import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `calibrate`: a model whose probabilities are mapped to calibrated ones, fitted on validation
/// data (Burkov ch. 6): Platt scaling, isotonic regression or temperature scaling.
enum CalibrateCommand: Command {
    static let spec = CommandSpec(
        name: "calibrate",
        summary:
            "Calibrate a classifier's probabilities on validation data: Platt scaling, isotonic regression or temperature scaling",
        positionals: [
            ParamSpec(
                "model", .model, "a classifier (any: trained here, imported, an ensemble, predictions)", required: true),
            ParamSpec("data", .dataset, "validation data: neither the training nor the test set", required: true)
        ],
        options: [
            ParamSpec.choice(
                "method", Calibrator.Method.self,
                "platt: a sigmoid of the probability (scikit-learn's sigmoid); isotonic: a non-decreasing step map; temperature: one temperature for the softmax",
                default: .platt)
        ],
        returns: "a calibrated model (saved and loaded like any other)",
        examples: [
            "fit, valid = split train ratio=0.8 stratify seed=1", "net = mlp fit hidden=[64] epochs=300",
            "cal = calibrate net valid method=temperature", "calibration net test versus=cal"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        var method: Calibrator.Method
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), data: try inv.dataset("data"),
            method: try inv.choice("method", Calibrator.Method.self))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let (p, truth, _) = try CalibrationCommand.probabilities(o.model.model, o.data, inv)
        let dataName = inv.names["data"] ?? o.data.name
        if let trained = o.model.trainedOn, trained == o.data.fingerprint {
            inv.session.output.note(
                "warning: \(dataName) is the data \(inv.names["model"] ?? "the model") was trained on, where its probabilities are over-confident: this calibration will not carry over (use held-out data)"
            )
        }
        let calibrator: Calibrator
        let model: CalibratedModel
        do {
            calibrator = try Calibrator.fit(o.method, probabilities: p, truth: truth, cancellation: inv.cancellation)
            model = try CalibratedModel(base: o.model.model, calibrator: calibrator)
        } catch let e as LearningError {
            throw inv.error(e.description, at: "data")
        } catch is Cancelled { throw Interrupted() }
        if let moved = o.model.model as? ThresholdModel {
            inv.session.output.note(
                "note: \(inv.names["model"] ?? "the model") predicts from p ≥ \(Format.number(moved.threshold)); calibrated, it predicts the most probable calibrated class — to move the threshold, move it after calibrating (threshold CALIBRATED \(dataName))"
            )
        }
        // ECE on the validation data before and after: what the fit did where it was fitted.
        let event: CalibrationEvent = p.cols == 2 ? .ofClass(1) : .topLabel
        var note: String
        switch calibrator {
        case .temperature(let t): note = "t = \(Format.metric(t))"
        case .platt(let maps) where maps.count == 1:
            note = "a = \(Format.metric(maps[0].a)), b = \(Format.metric(maps[0].b))"
        case .platt(let maps): note = "a sigmoid for each of \(maps.count) classes"
        case .isotonic(let maps): note = "\(maps.map(\.x.count).max() ?? 0) points"
        }
        if let before = try? Calibration(probabilities: p, truth: truth, event: event, bins: 10, binning: .uniform),
            let after = try? Calibration(
                probabilities: try calibrator.apply(p), truth: truth, event: event, bins: 10, binning: .uniform)
        {
            note +=
                " on \(dataName): ECE \(Format.metric(before.statistics.ece)) → \(Format.metric(after.statistics.ece)), log loss \(Format.metric(before.statistics.logLoss)) → \(Format.metric(after.statistics.logLoss))"
        }
        var value = ModelValue(model: model, trainingNote: note, recipe: nil)
        value.trainedOn = o.model.trainedOn
        return .model(value)
    }
}
