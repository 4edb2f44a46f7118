import MLEEvaluation

/// What `help TOPIC` explains beside the commands: the language, the file formats, the metrics
/// and the units of distance. Lists come from the declarations they describe (the metrics from
/// `Metric`, the formats from `OutputFormat`), the prose is written here.
enum HelpTopic: String, CaseIterable {
    case language, formats, metrics, units

    var summary: String {
        switch self {
        case .language: return "statements, values, variables, loops, ans and the prompt's conveniences"
        case .formats: return "the files mle reads and writes, and its output formats"
        case .metrics: return "every metric an evaluation, interval or comparison can be about"
        case .units: return "the units of δ in robust, radius and verify (units=, norm=)"
        }
    }

    var report: Report {
        switch self {
        case .language: return HelpTopic.languageReport
        case .formats: return HelpTopic.formatsReport
        case .metrics: return HelpTopic.metricsReport
        case .units: return HelpTopic.unitsReport
        }
    }

    static func topicReport(title: String, text: String, tables: [Table] = [], notes: [String] = []) -> Report {
        Report(kind: "help", title: title, tables: tables, notes: notes, text: text)
    }

    static var languageReport: Report {
        let rows: [[String]] = [
            ["COMMAND ARGS key=value", "run a command: evaluate net test metric=f1"],
            ["name = COMMAND …", "keep its result: net = mlp train hidden=[32, 16]"],
            ["a, b = COMMAND …", "keep several results: train, test = split data ratio=0.8"],
            ["name = VALUE", "a number, \"string\", word, true/false or [list, of, values]"],
            ["NAME", "show a variable (and make it ans)"],
            ["ans", "the last result, shown or assigned (as in Julia)"],
            ["for x in [a, b] { … }", "run the statements in braces once per item"],
            ["# text", "a comment, to the end of the line (shown as prose in an HTML report)"],
            ["… \\", "a line ending in \\ (or inside an open [, ( or {) continues on the next"],
            ["?COMMAND", "help COMMAND; help TOPIC explains language, formats, metrics, units"]
        ]
        return topicReport(
            title: "the mle language",
            text:
                "A script is a list of statements, one per line. Options are key=value after the positional arguments, in any order; a flag is its bare name (stratify) or name=false. A bare word is itself (target=diagnosis) unless a variable has that name, whose value is taken. A failed statement changes no variable.",
            tables: [
                Table(
                    caption: "statements", header: ["form", "meaning"], rows: rows, alignments: [.left, .left],
                    key: "statements")
            ],
            notes: [
                "settings: set format table|json|csv, set seed N, set timer on, set output \"file\"; show lists them",
                "at the prompt: Tab completes commands, options, choices, variables of the right type, column and class names and file paths; ↑ recalls whole statements"
            ])
    }

    static var formatsReport: Report {
        let rows: [[String]] = [
            [
                "CSV (.csv, .tsv, .txt)", "load",
                "a header row; the separator (comma, semicolon, tab or bar) is sniffed, or given with sep="
            ],
            ["gzip-compressed CSV (.csv.gz)", "load", "read as the CSV inside"],
            ["SQLite (.sqlite, .db)", "load", "a table (table=NAME) or a query (query=\"select …\")"],
            [
                "safetensors", "load, save",
                "networks in PyTorch's layout with their preprocessing; other models in mle's model format"
            ],
            [
                "ONNX (.onnx)", "load, save, verify",
                "fully connected networks (Gemm/MatMul, Relu, Tanh, Sigmoid, Softmax)"
            ],
            [
                "predictions CSV", "predictions",
                "a column of another tool's predictions or probabilities, evaluated like a model"
            ],
            ["VNN-LIB (.vnnlib)", "verify", "input boxes and unsafe output regions, the VNN-COMP format"],
            ["SVG (.svg)", "plot … to=", "a standalone picture of a report's plot"],
            ["HTML (.html)", "report, --report", "the session as one self-contained page"]
        ]
        let output = OutputFormat.allCases.map { f -> [String] in
            switch f {
            case .table: return [f.rawValue, "tables, plots and notes for people, fitted to the terminal's width"]
            case .json: return [f.rawValue, "one JSON object per result and line, every row and full precision"]
            case .csv:
                return [f.rawValue, "one CSV table per result (table,key,… columns), every row, blank line between"]
            }
        }
        return topicReport(
            title: "file and output formats",
            text: "Files are written atomically: whole or not at all.",
            tables: [
                Table(
                    caption: "files", header: ["format", "commands", "what"], rows: rows,
                    alignments: [.left, .left, .left],
                    key: "files"),
                Table(
                    caption: "output formats (set format …, --format …)", header: ["format", "what"], rows: output,
                    alignments: [.left, .left], key: "output_formats")
            ],
            notes: ["set output \"file\" sends results to a file from then on, once \"file\" only the next statement's"]
        )
    }

    static func meaning(_ m: Metric) -> String {
        switch m {
        case .accuracy: return "share of rows predicted right"
        case .error: return "share of rows predicted wrong (1 − accuracy)"
        case .recall, .sensitivity: return "share of the positive class's rows found (true positive rate)"
        case .precision: return "share of rows called positive that are"
        case .specificity: return "share of the other rows called negative (true negative rate)"
        case .f1: return "harmonic mean of precision and recall"
        case .macroF1: return "mean of every class's F1"
        case .weightedF1: return "every class's F1 weighted by its rows"
        case .balancedAccuracy: return "mean of every class's recall"
        case .mcc: return "Matthews correlation coefficient, −1 to 1"
        case .auc: return "area under the ROC curve: the chance a positive row scores above a negative one"
        case .gmean: return "geometric mean of the classes' recalls"
        case .iba: return "index balanced accuracy (imbalanced-learn's, α = 0.1)"
        case .averagePrecision: return "area under the precision-recall curve, as scikit-learn"
        case .brier: return "mean squared gap between the positive class's probability and the truth"
        case .logLoss: return "mean negative log-likelihood of the truth"
        case .mse: return "mean squared error"
        case .rmse: return "root mean squared error"
        case .mae: return "mean absolute error"
        case .r2: return "share of the variance explained (1 − SSE / SST)"
        }
    }

    static var metricsReport: Report {
        let rows = Metric.allCases.map { m -> [String] in
            var needs: [String] = []
            if m.needsPositiveClass { needs.append("positive=") }
            if m.needsScores { needs.append("scores") }
            return [
                m.rawValue, m.isRegression ? "numbers" : "classes", m.lowerIsBetter ? "lower" : "higher",
                needs.joined(separator: ", "), meaning(m)
            ]
        }
        return topicReport(
            title: "metrics (metric=…)",
            text:
                "interval, compare, retrain, cvtest, threshold and search take metric=. Proportions (accuracy, error, recall, precision, specificity) get binomial intervals (Wilson by default); the others a bootstrap.",
            tables: [
                Table(
                    caption: "metrics", header: ["metric", "for", "better", "needs", "meaning"], rows: rows,
                    alignments: [.left, .left, .left, .left, .left], key: "metrics")
            ])
    }

    static var unitsReport: Report {
        let rows: [[String]] = RobustUnits.allCases.map { u in
            switch u {
            case .standardized:
                return [
                    u.rawValue,
                    "each feature divided by its training standard deviation (the default): δ = 0.1 moves a feature a tenth of its spread"
                ]
            case .raw: return [u.rawValue, "the data's own units, as in the CSV: δ = 0.5 moves a feature by 0.5"]
            }
        }
        let norms = PerturbationNorm.allCases.map { n -> [String] in
            switch n {
            case .l2: return [n.rawValue, "Euclidean length of the whole change (the default)"]
            case .linf: return [n.rawValue, "the largest change of any one feature: a box around the row"]
            }
        }
        return topicReport(
            title: "units of δ (robust, radius, verify)",
            text:
                "The ε-δ question: does every input within δ of x give an output within ε of f(x)? δ is measured in the units and norm chosen; ε on the output (probabilities, or the prediction for a model of numbers).",
            tables: [
                Table(
                    caption: "units=", header: ["units", "δ is measured in"], rows: rows, alignments: [.left, .left],
                    key: "units"),
                Table(
                    caption: "norm=", header: ["norm", "distance"], rows: norms, alignments: [.left, .left],
                    key: "norms")
            ])
    }
}
