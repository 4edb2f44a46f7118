import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `calibration`: is a probability of 0.8 right 80% of the time (Burkov ch. 6)? The reliability
/// diagram, expected and maximum calibration error, Brier score and log loss, each with a
/// bootstrap interval, and a reading in words.
enum CalibrationCommand: Command {
    static let spec = CommandSpec(
        name: "calibration",
        summary:
            "Calibration of a classifier's probabilities: reliability diagram, ECE, MCE, Brier score and log loss with bootstrap intervals",
        positionals: [
            ParamSpec("model", .model, "a classifier (any: trained here, imported, or predictions)", required: true),
            ParamSpec("data", .dataset, "the test data", required: true)
        ],
        options: [
            ParamSpec("bins", .integer, "how many bins", default: .number(10)),
            ParamSpec.choice(
                "strategy", CalibrationBinning.self,
                "uniform: bins of equal width; quantile: bins of equal numbers of predictions",
                default: .uniform),
            ParamSpec(
                "class", .string,
                "calibrate one class's probability against the rest (default: the positive class of two, the top label of more)"
            ),
            ParamSpec(
                "positive", .string, "for two classes, the class whose probability is calibrated (default: the second)"),
            IntervalCommands.levelOption,
            ParamSpec("resamples", .integer, "bootstrap resamples", default: .number(2000)),
            ParamSpec.choice("method", BootstrapMethod.self, "bootstrap interval method", default: .percentile),
            ParamSpec("seed", .integer, "random seed of the resampling (default: the session seed)"),
            ParamSpec(
                "versus", .list(.model),
                "other models of the same classes side by side (a calibrated one: before and after), on the same resamples"
            )
        ],
        returns: "a calibration report",
        examples: [
            "calibration net test",
            "calibration net test bins=15 strategy=quantile",
            "calibration digits_net digits_test class=8 resamples=5000 seed=1",
            "calibration net test versus=[platt, isotonic, temperature]"
        ]
    ) { inv in try execute(inv) }

    struct Options {
        var model: ModelValue
        var data: Dataset
        var bins: Int
        var binning: CalibrationBinning
        var className: String?
        var positive: String?
        var level: Double
        var resamples: Int
        var method: BootstrapMethod
        var seed: UInt64
        var versus: [(name: String, value: ModelValue)]
    }

    static func options(_ inv: Invocation) throws -> Options {
        Options(
            model: try inv.model("model"), data: try inv.dataset("data"), bins: try inv.declared("bins", Int.self),
            binning: try inv.choice("strategy", CalibrationBinning.self), className: inv.string("class"),
            positive: inv.string("positive"), level: try inv.declared("level", Double.self),
            resamples: try inv.declared("resamples", Int.self), method: try inv.choice("method", BootstrapMethod.self),
            seed: inv.seed(), versus: inv.namedModels("versus"))
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("bins", o.bins, in: 1...1000)
        try inv.checkLevel(o.level)
        try inv.check("resamples", o.resamples, in: 100...1_000_000)
        if o.className != nil, o.positive != nil {
            throw inv.error("give class= or positive=, not both (they name the same thing)", at: "positive")
        }
    }

    /// The model's probabilities on the data and each row's class among the model's classes.
    static func probabilities(_ model: any Model, _ data: Dataset, _ inv: Invocation, at param: String = "model")
        throws -> (Matrix, truth: [Int], classes: [String])
    {
        guard case .classification(let classes) = model.task else {
            throw inv.error("calibration is about a classifier's probabilities; this model predicts numbers", at: param)
        }
        guard case .classes(let labels, let dataNames)? = data.target else {
            throw inv.error(
                data.target == nil
                    ? "the data has no target: calibration needs the true classes"
                    : "the data's target holds numbers; calibration needs classes", at: "data")
        }
        var index: [String: Int] = [:]
        for (i, c) in classes.enumerated() { index[c] = i }
        var fromData = [Int](repeating: -1, count: dataNames.count)
        for (j, name) in dataNames.enumerated() {
            guard let i = index[name] else {
                throw inv.error(
                    "the data has class '\(name)', which the model does not know (its classes: \(classes.joined(separator: ", ")))",
                    at: "data")
            }
            fromData[j] = i
        }
        let prediction = try model.predict(data)
        guard case .probabilities(let p) = prediction, p.cols == classes.count else {
            throw inv.error("the model gives no probabilities of its classes", at: param)
        }
        return (p, labels.map { fromData[$0] }, classes)
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        let (p, truth, classes) = try probabilities(o.model.model, o.data, inv)
        let event: CalibrationEvent
        if let name = o.className ?? o.positive {
            guard let c = classes.firstIndex(of: name) else {
                throw UnknownNameError(
                    kind: "class", name: name, known: classes, setting: o.className != nil ? "class" : "positive",
                    listing: "classes")
            }
            event = .ofClass(c)
        } else {
            event = classes.count == 2 ? .ofClass(1) : .topLabel
        }
        var results: [(Calibration, [Calibration.Statistic: BootstrapResult])] = []
        let models = [o.model] + o.versus.map(\.value)
        for (i, m) in models.enumerated() {
            let probabilities: Matrix
            if i == 0 {
                probabilities = p
            } else {
                let q: Matrix, other: [String]
                do {
                    (q, _, other) = try CalibrationCommand.probabilities(m.model, o.data, inv, at: "versus")
                } catch let e as LearningError { throw inv.error(e.description, at: "versus") }
                guard other == classes else {
                    throw inv.error(
                        "the models in versus= must have the classes of the first (\(classes.joined(separator: ", ")))",
                        at: "versus")
                }
                probabilities = q
            }
            let cal: Calibration
            do {
                cal = try Calibration(
                    probabilities: probabilities, truth: truth, event: event, bins: o.bins, binning: o.binning)
            } catch let e as LearningError { throw inv.error("\(e)", at: i == 0 ? "model" : "versus") }
            // The same seed for every model: the same rows in each resample (paired intervals).
            do {
                let context = inv.context("bootstrap").reporting { done, total in
                    (i * total + done, models.count * total)
                }
                results.append(
                    (
                        cal,
                        try cal.intervals(
                            resamples: o.resamples, seed: o.seed, method: o.method, level: o.level, context: context)
                    ))
            } catch is Cancelled { throw Interrupted() }
        }
        return .report(
            report(
                results, classes: classes, names: [inv.names["model"] ?? o.model.model.kind] + o.versus.map(\.name), o,
                inv))
    }

    /// A bin edge for people: four decimals without trailing zeros (0.1, 0.0032, 1.0).
    static func edge(_ v: Double) -> String {
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0"), !s.hasSuffix(".0") { s.removeLast() }
        return s
    }

    /// What the event is, in words.
    static func eventText(_ event: CalibrationEvent, _ classes: [String]) -> String {
        switch event {
        case .ofClass(let c): return "P(\(classes[c])) against how often the class is \(classes[c])"
        case .topLabel: return "top label: the predicted class's probability against how often it is right"
        }
    }

    static func report(
        _ results: [(Calibration, [Calibration.Statistic: BootstrapResult])], classes: [String], names: [String],
        _ o: Options, _ inv: Invocation
    ) -> Report {
        let (cal, intervals) = results[0]
        let s = cal.statistics
        var fields: [Field] = [
            Field("event", .text(eventText(cal.event, classes))),
            Field("n", "N", .count(cal.count)),
            Field("bins", .shown(.count(cal.binCount), as: "\(cal.binCount), \(o.binning.rawValue)")),
            Field("strategy", .text(o.binning.rawValue), audience: .machines)
        ]
        let labels: [(Calibration.Statistic, String)] = [
            (.ece, "ECE"), (.mce, "MCE"), (.brier, "Brier score"), (.logLoss, "log loss")
        ]
        for (stat, label) in labels {
            let r = intervals[stat]?.interval
            fields.append(
                Field(stat.rawValue, label, .estimate(s[stat], low: r?.low ?? .nan, high: r?.high ?? .nan, .metric)))
        }
        fields += [
            Field(
                "interval",
                .text("\(Format.percent(o.level)) \(o.method.rawValue) bootstrap, \(o.resamples) resamples"),
                audience: .people),
            Field("level", .number(o.level), audience: .machines),
            Field("method", .text(o.method.rawValue), audience: .machines),
            Field("resamples", .count(o.resamples), audience: .machines),
            Field("seed", .count(Int(truncatingIfNeeded: o.seed)))
        ]
        if case .ofClass(let c) = cal.event { fields.append(Field("class", .text(classes[c]), audience: .machines)) }

        let bins = cal.bins
        let reading = Reading(bins: bins, event: cal.event, classes: classes, level: o.level)
        let rows: [[Cell]] = bins.enumerated().map { i, b in
            let gap = b.count > 0 ? b.frequency - b.meanProbability : .nan
            return [
                .text("\(edge(b.low))–\(edge(b.high))"), .number(b.low, .metric),
                .number(b.high, .metric), .count(b.count),
                b.count > 0 ? .number(b.meanProbability, .metric) : .missing("—"),
                b.count > 0 ? .number(b.frequency, .metric) : .missing("—"),
                b.count > 0 ? .number(gap, .metric) : .missing("—"),
                .text(reading.marks[i])
            ]
        }
        let table = Table(
            key: "reliability",
            caption: "reliability (frequency: share of rows with the event; gap: frequency − probability)",
            columns: [
                Table.Column("bin", "bin", .left, audience: .people), Table.Column("low", audience: .machines),
                Table.Column("high", audience: .machines), Table.Column("count"),
                Table.Column("mean_probability", "mean probability"), Table.Column("frequency"),
                Table.Column("gap"), Table.Column("off", "off", .left)
            ], rows: rows)

        let steps = 61
        let diagonal = (0..<steps).map { Double($0) / Double(steps - 1) }
        var series: [TextPlot.Series] = []
        for (k, (c, _)) in results.enumerated() {
            let held = c.bins.filter { $0.count > 0 }
            series.append(
                TextPlot.Series(
                    results.count == 1 ? "bins" : names[k], x: held.map(\.meanProbability), y: held.map(\.frequency)))
        }
        series.append(TextPlot.Series("perfect calibration", x: diagonal, y: diagonal, mark: "·"))
        var plot = TextPlot(
            title: "reliability diagram: each bin's frequency against its mean probability",
            series: series, xLabel: "predicted probability", yRange: 0...1, width: 60, height: 13)
        plot.xEnds = ("0", "1")
        plot.yLabel = "observed frequency"
        if results.count == 1 {
            plot.xNotes = ("n", bins.filter { $0.count > 0 }.map { ($0.meanProbability, "\($0.count)") })
        }
        var tables = [table]
        var notes = reading.notes
        if results.count > 1 {
            let rows: [[Cell]] = results.enumerated().map { k, r in
                let st = r.0.statistics
                func cell(_ stat: Calibration.Statistic) -> Cell {
                    let i = r.1[stat]?.interval
                    return .estimate(st[stat], low: i?.low ?? .nan, high: i?.high ?? .nan, .metric)
                }
                return [.text(names[k]), cell(.ece), cell(.mce), cell(.brier), cell(.logLoss)]
            }
            tables.insert(
                Table(
                    key: "models",
                    caption:
                        "side by side (\(Format.percent(o.level)) intervals from the same \(o.resamples) resamples of the rows)",
                    columns: [
                        Table.Column("model", "model", .left), Table.Column("ece", "ECE"), Table.Column("mce", "MCE"),
                        Table.Column("brier", "Brier score"), Table.Column("log_loss", "log loss")
                    ], rows: rows), at: 0)
            for (k, r) in results.enumerated().dropFirst() {
                let other = Reading(bins: r.0.bins, event: cal.event, classes: classes, level: o.level)
                notes.insert("\(names[k]): \(other.verdict)", at: k - 1)
            }
        }
        // ECE and MCE add up |gaps|: resampling's noise only adds to them, so near 0 their
        // replicates run above the estimate and a percentile interval can miss it. Said, not hidden.
        let outside = [Calibration.Statistic.ece, .mce].map { stat in
            results.indices.filter { k in
                guard let i = results[k].1[stat]?.interval else { return false }
                let v = results[k].0.statistics[stat]
                return v < i.low || v > i.high
            }
        }
        let whose = { (ks: [Int]) in results.count == 1 ? "" : " for \(ks.map { names[$0] }.joined(separator: ", "))" }
        let why =
            ": resampling adds noise to each bin's gap, which they count as miscalibration, so near 0 their replicates run above the estimate"
        if !outside[0].isEmpty, outside[0] == outside[1] {
            notes.append("ECE and MCE lie outside their intervals\(whose(outside[0]))\(why)")
        } else {
            for (ks, label) in zip(outside, ["ECE", "MCE"]) where !ks.isEmpty {
                notes.append(
                    "\(label) lies outside its interval\(whose(ks))\(why.replacingOccurrences(of: "they count", with: "it counts").replacingOccurrences(of: "their replicates", with: "its replicates"))"
                )
            }
        }
        let subject = results.count == 1 ? names[0] : names.joined(separator: ", ")
        var report = Report(
            kind: "calibration",
            title: "calibration of \(subject) on \(inv.names["data"] ?? o.data.name)",
            fields: fields, tables: tables,
            verdict: results.count == 1 ? reading.verdict : "\(names[0]): \(reading.verdict)", notes: notes)
        report.figures = [.plot(plot)]
        return report
    }

    /// The reliability diagram in words: the bins whose frequency lies outside the Wilson interval
    /// of its count around the mean probability, grouped into runs of the same direction.
    struct Reading {
        var verdict: String
        var notes: [String] = []
        /// Per bin: "over" or "under" (top label: over- or under-confident), or "".
        var marks: [String]

        init(bins: [Calibration.Bin], event: CalibrationEvent, classes: [String], level: Double) {
            var marks = [String](repeating: "", count: bins.count)
            /// Neighbouring bins off in the same direction, pooled.
            struct Run {
                var sign: Int, low: Double, high: Double, predicted: Double, actual: Double, count: Int
            }
            var runs: [Run] = []
            for (i, b) in bins.enumerated() where b.count > 0 {
                let hits = Int((b.frequency * Double(b.count)).rounded())
                guard let w = ProportionMethod.wilson.interval(successes: hits, trials: b.count, level: level) else {
                    continue
                }
                let sign = b.meanProbability > w.high ? 1 : (b.meanProbability < w.low ? -1 : 0)
                guard sign != 0 else { continue }
                marks[i] = sign > 0 ? "too high" : "too low"
                if let last = runs.last, last.sign == sign, last.high == b.low {
                    let total = last.count + b.count
                    runs[runs.count - 1] = Run(
                        sign: sign, low: last.low, high: b.high,
                        predicted: (last.predicted * Double(last.count) + b.meanProbability * Double(b.count))
                            / Double(total),
                        actual: (last.actual * Double(last.count) + b.frequency * Double(b.count)) / Double(total),
                        count: total)
                } else {
                    runs.append(
                        Run(
                            sign: sign, low: b.low, high: b.high, predicted: b.meanProbability, actual: b.frequency,
                            count: b.count))
                }
            }
            self.marks = marks
            let noise = "\(Format.percent(level)) Wilson interval of its count"
            guard !runs.isEmpty else {
                verdict =
                    "no bin is off beyond noise: each bin's mean probability lies in the \(noise) (more rows would show smaller errors)"
                return
            }
            func percent(_ v: Double) -> String { String(format: "%.0f%%", v * 100) }
            func range(_ r: Run) -> String {
                let lo = String(format: "%.2f", r.low), hi = String(format: "%.2f", r.high)
                if r.low <= 0 { return "below \(hi)" }
                if r.high >= 1 { return "above \(lo)" }
                return "between \(lo) and \(hi)"
            }
            let parts = runs.map { r -> String in
                switch event {
                case .topLabel:
                    return
                        "\(r.sign > 0 ? "over" : "under")-confident \(range(r)): right \(percent(r.actual)) of the time where it says \(percent(r.predicted)) (\(r.count) rows)"
                case .ofClass(let c):
                    return
                        "P(\(classes[c])) too \(r.sign > 0 ? "high" : "low") \(range(r)): \(classes[c]) \(percent(r.actual)) of the time where it says \(percent(r.predicted)) (\(r.count) rows)"
                }
            }
            verdict = parts.joined(separator: "; ")
            notes.append("a bin is off when its mean probability lies outside the \(noise)")
        }
    }
}
