import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `coverage`: neuron coverage of a network by a test set (Burkov ch. 7) beside DeepXplore's and
/// DeepGauge's criteria.
enum CoverageCommand: Command {
    static let spec = CommandSpec(
        name: "coverage",
        summary:
            "Neuron coverage of a network by a test set: the book's loop over correctly predicted inputs, DeepXplore's and DeepGauge's criteria",
        positionals: [
            ParamSpec("model", .model, "the network (an mlp)", required: true),
            ParamSpec("data", .dataset, "the test inputs, with their true target", required: true),
            ParamSpec("versus", .dataset, "a second test set, shown side by side with the same settings")
        ],
        options: [
            ParamSpec(
                "criterion", .choice(CoverageCommands.criterionChoices),
                "criteria in the table: neuron, kmnc (k-multisection), nbc (boundary), snac (strong activation), tknc (top-k), or all",
                default: .symbol("all")),
            .choice(
                "rule", Rule.self,
                "a unit is activated when its value is above the threshold (threshold), or when its value min-max scaled within its layer for that input is (scaled: DeepXplore)",
                default: .threshold),
            ParamSpec("threshold", .number, "the activation threshold t", default: .number(0)),
            .choice(
                "values", ActivationValues.self,
                "look at values after the activation function (post) or before it (pre)", default: .post),
            ParamSpec(
                "layers", .word,
                "layers that count: hidden, all (adds the output layer) or layer numbers like [1, 2] (1 = first hidden layer)",
                default: .symbol("hidden")),
            .choice(
                "inputs", CoverageInputs.self,
                "correct: only correctly predicted inputs cover units (the book); all: every input (DeepXplore, DeepGauge)",
                default: .correct),
            ParamSpec(
                "target", .number, "the book's loop stops when neuron coverage reaches this share", default: .number(1)),
            ParamSpec("sections", .integer, "k of k-multisection coverage", default: .number(1000)),
            ParamSpec("top", .integer, "k of top-k neuron coverage", default: .number(2)),
            ParamSpec("seed", .integer, "random seed of the order examples are fed in (default: the session seed)"),
            ParamSpec(
                "train", .dataset,
                "training data: measure each unit's range and the dead units on it (default: the profile kept with the model)"
            ),
            ParamSpec(
                "search", .bool,
                "look for inputs that activate the units left uncovered (gradient ascent from test inputs)",
                default: .bool(false)),
            ParamSpec("limit", .integer, "search for at most this many uncovered units", default: .number(10)),
            ParamSpec("steps", .integer, "gradient steps per search start", default: .number(200)),
            ParamSpec("step", .number, "length of a search step in standardised feature units", default: .number(0.05)),
            ParamSpec("starts", .integer, "test inputs each search starts from", default: .number(3)),
            ParamSpec("to", .path, "write the inputs the search found to this CSV file (atomically)"),
            ParamSpec("plot", .bool, "draw the growth curve (plot=false leaves it out)", default: .bool(true))
        ],
        returns: "a coverage report",
        examples: [
            "coverage net test",
            "coverage net test rule=scaled threshold=0.25 inputs=all",
            "coverage net test half criterion=all",
            "coverage net test search to=\"found.csv\""
        ]
    ) { inv in try execute(inv) }

    /// When a unit counts as activated: its value above the threshold, or its value scaled within
    /// its layer above it (DeepXplore).
    enum Rule: String, CaseIterable { case threshold, scaled }

    struct Options {
        var net: MLP
        var data: Dataset
        var settings: CoverageSettings
        /// The units' training ranges: measured on `train` when given, else the model's own.
        var profile: UnitProfile?
        var train: Dataset?
        /// Which criteria the table shows: all, or one.
        var criterion: String
        var versus: Dataset?
        var plot: Bool
        var search: Bool
    }

    static func options(_ inv: Invocation) throws -> Options {
        let net = try CoverageCommands.network(
            inv, purpose: "coverage looks inside a neural network", lacks: ", which has no units")
        var settings = CoverageSettings()
        let t = try inv.declared("threshold", Double.self)
        settings.rule = try inv.choice("rule", Rule.self) == .scaled ? .scaled(Float(t)) : .threshold(Float(t))
        settings.values = try inv.choice("values", ActivationValues.self)
        settings.inputs = try inv.choice("inputs", CoverageInputs.self)
        settings.layers = try CoverageCommands.layers(inv, net)
        settings.target = try inv.declared("target", Double.self)
        settings.sections = try inv.declared("sections", Int.self)
        settings.top = try inv.declared("top", Int.self)
        settings.seed = inv.seed()
        var profile = net.profile
        var train: Dataset?
        if inv.has("train") {
            let d = try inv.dataset("train")
            profile = try UnitProfile.measure(net, on: try net.inputs(d))
            train = d
        }
        return Options(
            net: net, data: try inv.dataset("data"), settings: settings, profile: profile, train: train,
            criterion: try inv.declared("criterion", String.self),
            versus: inv.has("versus") ? try inv.dataset("versus") : nil,
            plot: try inv.declared("plot", Bool.self), search: try inv.declared("search", Bool.self))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        let s = o.settings
        let t: Float
        switch s.rule {
        case .threshold(let v), .scaled(let v): t = v
        }
        guard t.isFinite else { throw inv.error("threshold must be a finite number", at: "threshold") }
        guard s.target > 0, s.target <= 1 else {
            throw inv.error("target is a share above 0 and at most 1 (1 = 100%)", at: "target")
        }
        try inv.check("sections", s.sections, in: 1...100_000)
        guard s.top >= 1 else { throw inv.error("top must be at least 1", at: "top") }
        if s.inputs == .correct, !o.net.task.isClassification {
            throw inv.error(
                "only a classifier's inputs are right or wrong; for a regression network give inputs=all", at: "inputs")
        }
        if o.criterion != "all", let c = CoverageCriterion(rawValue: o.criterion), [.kmnc, .nbc, .snac].contains(c),
            o.profile == nil
        {
            throw inv.error(
                "\(c.rawValue) needs each unit's range on the training set; this model has none kept, so give train=DATA",
                at: "criterion")
        }
        if !o.search, inv.has("to") {
            throw inv.error("to= writes the inputs a search finds; add the flag search", at: "to")
        }
        if let f = inv.string("to"), !f.hasSuffix(".csv") {
            throw inv.error("to= writes a CSV file; its name should end in .csv", at: "to")
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let net = o.net, data = o.data, settings = o.settings, profile = o.profile, train = o.train
        let criterionChoice = o.criterion
        let modelName = inv.names["model"] ?? "the model"
        let dataName = inv.names["data"] ?? data.name
        let analysis = try CoverageCommands.analyse(net, data, settings: settings, profile: profile)
        let layerNumbers = analysis.layers
        var dead: [NetworkUnit]?
        var deadSource = ""
        if let train {
            dead = try Coverage.deadUnits(net, x: try net.inputs(train), settings: settings)
            deadSource = "on the \(train.rowCount) rows of \(inv.names["train"] ?? "the training data")"
        } else if let p = profile {
            dead = Coverage.deadUnits(profile: p, layers: layerNumbers, settings: settings)
            deadSource = "on the \(p.rows) training rows"
        }

        var report = CoverageCommands.coverageReport(
            analysis, net: net, model: modelName, data: dataName, criterion: criterionChoice,
            dead: dead, deadSource: deadSource, hasProfile: profile != nil)
        var plotSeries = [TextPlot.Series(dataName, analysis.growth)]

        if let other = o.versus {
            let otherName = inv.names["versus"] ?? other.name
            let second = try CoverageCommands.analyse(net, other, settings: settings, profile: profile)
            report.tables.append(
                CoverageCommands.versusTable(analysis, second, names: (dataName, otherName), criterion: criterionChoice)
            )
            report.notes.append(CoverageCommands.versusReading(analysis, second, names: (dataName, otherName)))
            plotSeries = [
                TextPlot.Series(dataName, CoverageCommands.curve(analysis)),
                TextPlot.Series(otherName, CoverageCommands.curve(second))
            ]
            report.fields += [
                Field("versus_data", .text(otherName), audience: .machines),
                Field("versus_examples", .count(second.examples), audience: .machines)
            ]
        }
        if o.plot {
            let curveTitle =
                o.versus != nil
                ? "neuron coverage after each example, all examples fed"
                : "neuron coverage after each example fed (the book's loop)"
            var plot = TextPlot(
                title: curveTitle, series: plotSeries, xLabel: "examples fed", yRange: 0...1, percent: true)
            plot.yLabel = "neuron coverage"
            report.figures.append(.plot(plot))
        }

        if o.search {
            try CoverageCommands.addSearch(
                to: &report, inv: inv, net: net, data: data, analysis: analysis, profile: profile)
        }
        return .report(report)
    }
}
