import Foundation
import MLELearning

/// `predictions`: a model made of predictions from elsewhere, read from columns of a dataset.
enum PredictionsCommand: Command {
    static let spec = CommandSpec(
        name: "predictions",
        summary:
            "Make a model of predictions made elsewhere (columns of a dataset): predicted labels, class probabilities, a positive-class probability or regression predictions; evaluate, interval, compare, threshold and priors take it",
        positionals: [
            ParamSpec("data", .dataset, "the dataset holding the predictions (and usually the target)", required: true)
        ],
        options: [
            ParamSpec(
                "predicted", .string,
                "the column of predicted class names (or of predicted values, for a numeric target)"),
            ParamSpec("scores", .list(.string), "one probability column per class"),
            ParamSpec("score", .string, "one column: the probability of the positive class (two classes)"),
            ParamSpec(
                "classes", .list(.string),
                "the class of each scores= column in order, or every class predicted= may name (default: the data's classes; columns matched by name after a shared prefix such as p_)"
            ),
            ParamSpec(
                "positive", .string,
                "with score=: the class the column is the probability of (default: the second class)"),
            ParamSpec(
                "id", .string,
                "a column identifying rows: data evaluated later finds each row's prediction by it (default: by position, checking the target matches)"
            )
        ],
        returns: "a model whose predictions are those columns",
        examples: [
            "preds = load \"predictions.csv\" target=diagnosis",
            "rf = predictions preds scores=[p_benign, p_malignant]",
            "evaluate rf preds imbalanced",
            "xgb = predictions preds score=p_xgb positive=malignant",
            "compare rf xgb preds",
            "m = predictions preds predicted=label id=patient"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var data: Dataset
        var columns: PredictionsModel.Columns
        var classes: [String]?
        var positive: String?
        var id: String?
    }

    static func options(_ inv: Invocation) throws -> Options {
        let given = ["predicted", "scores", "score"].filter { inv.has($0) }
        guard given.count == 1 else {
            if given.count > 1 { throw inv.error("give one of predicted=, scores= and score=", at: given[1]) }
            throw inv.error("say where the predictions are: predicted=COLUMN, scores=[COLUMNS] or score=COLUMN")
        }
        let columns: PredictionsModel.Columns
        switch given[0] {
        case "predicted": columns = .predicted(inv.string("predicted") ?? "")
        case "scores": columns = .probabilities(inv.stringList("scores") ?? [])
        default: columns = .positiveScore(inv.string("score") ?? "")
        }
        if inv.has("positive"), !inv.has("score") {
            throw inv.error(
                "positive= says which class score= is the probability of; give it with score=", at: "positive")
        }
        return Options(
            data: try inv.dataset("data"), columns: columns, classes: inv.stringList("classes"),
            positive: inv.string("positive"), id: inv.string("id"))
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let model = try PredictionsModel(o.data, columns: o.columns, classes: o.classes, positive: o.positive, id: o.id)
        // Say how outputs map to classes: the mapping a user must be able to check.
        switch (o.columns, model.task) {
        case (.probabilities(let cols), .classification):
            inv.session.output.note(
                "classes: " + zip(cols, model.columnClasses).map { "\($0) → \($1)" }.joined(separator: ", "))
        case (.positiveScore(let col), .classification(let names)):
            let p = o.positive ?? names[safe: 1] ?? ""
            inv.session.output.note("classes: \(col) is the probability of '\(p)'; of \(names.joined(separator: ", "))")
        default: break
        }
        return .model(ModelValue(model: model, trainingNote: nil, recipe: nil))
    }
}
