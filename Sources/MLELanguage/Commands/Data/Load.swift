import Foundation
import MLELearning
import MLETensor

/// `load`: a CSV file into a dataset, or a network file (safetensors, ONNX) into a model.
enum LoadCommand: Command {
    static let spec = CommandSpec(
        name: "load",
        summary:
            "Read a CSV file (header row; numeric and text columns, missing values; comma, tab, semicolon or bar between fields; gzip-compressed too) or a table of a SQLite database into a dataset, or a network (.safetensors, .onnx) into a model",
        positionals: [
            ParamSpec(
                "file", .path,
                "path of the CSV file (.csv, .tsv, .csv.gz), the SQLite database (.sqlite, .db) or the network file (.safetensors: mle's or a PyTorch state dict; .onnx)",
                required: true)
        ],
        options: [
            ParamSpec("target", .string, "the column to predict; omit for data without a target"),
            ParamSpec(
                "sep", .string,
                "the separator between fields: \",\" \";\" \"|\" or tab (default: guessed from the first lines)"),
            ParamSpec("table", .string, "for a SQLite database: the table (or view) to read"),
            ParamSpec("query", .string, "for a SQLite database: a select statement whose rows to read"),
            .choice(
                "task", TaskChoice.self,
                "how to read the target: auto takes text and whole numbers with at most 20 values as classes; "
                    + "for an imported network without data=, classification or regression of its outputs",
                default: .auto
            ),
            .choice(
                "activation", Kernels.Activation.self,
                "for a PyTorch state dict: the activation between its Linear layers (state dicts do not record it; default relu; ONNX files record theirs)"
            ),
            ParamSpec(
                "na", .list(.string),
                "cells that mean a missing value (default: empty, NA, N/A, n/a, NaN, nan, NULL, null, None, <NA>, #N/A)"
            ),
            ParamSpec(
                "categorical", .list(.string), "columns to read as categories even if they hold numbers (codes, years)"),
            ParamSpec("numeric", .list(.string), "columns that must hold numbers; a text cell in one is an error"),
            ParamSpec(
                "classes", .list(.string),
                "for an imported network: the class of each output in its order (for one logit, [negative, positive]); default: the classes the file names, else the classes in name order"
            ),
            ParamSpec(
                "scaling", .choice(["raw", "standardized"]),
                "for an imported network: the inputs it expects — raw columns, or standardized by data='s means and standard deviations (a StandardScaler outside the network)"
            ),
            ParamSpec(
                "layers", .list(.string),
                "for a PyTorch state dict: its Linear and BatchNorm1d modules in order, when their names do not sort (default: the names in natural order: 0, 2, 10; fc1, fc2)"
            ),
            ParamSpec("means", .list(.number), "for an imported network: the means its inputs were standardised with"),
            ParamSpec(
                "scales", .list(.number), "for an imported network: the standard deviations its inputs were divided by"),
            ParamSpec(
                "data", .dataset,
                "for an imported network: the data it was trained on; its columns name the inputs, its classes the outputs, "
                    + "and its means and standard deviations define mle's standardised units (the network's function is unchanged)"
            )
        ],
        returns: "a dataset, or a model",
        examples: [
            "data = load \"datasets/iris.csv\" target=species",
            "digits = load \"datasets/digits.csv\" target=digit task=classification",
            "penguins = load \"datasets/penguins.csv\" target=species categorical=[year]",
            "data = load \"measurements.tsv\" target=label", "data = load \"big.csv.gz\" target=y sep=\";\"",
            "data = load \"shop.sqlite\" table=orders target=returned",
            "data = load \"shop.sqlite\" query=\"select * from orders where year >= 2020\" target=returned",
            "net = load \"net.safetensors\"",
            "torchnet = load \"torch_mlp.safetensors\" data=train",
            "sknet = load \"model.onnx\" data=train"
        ]
    ) { inv in try execute(inv) }

    /// What the file holds, decided by its name.
    enum Source {
        /// A network file (mle, PyTorch, ONNX), checked against `data` when given.
        case model(
            data: Dataset?, activation: Kernels.Activation?, classes: [String]?, scaling: DataCommands.InputScaling,
            order: [String]?)
        /// Delimited text, gzip-compressed or not; the separator guessed when nil.
        case csv(target: String?, options: ColumnOptions, separator: UInt8?)
        /// A table or the rows of a query of a SQLite database.
        case sqlite(target: String?, options: ColumnOptions, table: String?, query: String?)
    }

    struct Options {
        var file: String
        var task: TaskChoice
        var source: Source
    }

    static func options(_ inv: Invocation) throws -> Options {
        let path = try inv.declared("file", String.self)
        let task = try inv.choice("task", TaskChoice.self)
        if path.hasSuffix(".safetensors") || path.hasSuffix(".onnx") {
            return Options(
                file: path, task: task,
                source: .model(
                    data: inv.has("data") ? try inv.dataset("data") : nil,
                    activation: try inv.optionalChoice("activation", Kernels.Activation.self),
                    classes: inv.stringList("classes"), scaling: try scaling(inv), order: inv.stringList("layers")))
        }
        var options = ColumnOptions()
        if let na = inv.stringList("na") { options.missingTokens = Set(na) }
        options.categorical = inv.stringList("categorical") ?? []
        options.numeric = inv.stringList("numeric") ?? []
        let target = inv.string("target")
        let lower = path.lowercased()
        if [".sqlite", ".sqlite3", ".db"].contains(where: { lower.hasSuffix($0) })
            || DataSource.isSQLite(DataSource.head(of: path, count: 16).bytes)
        {
            return Options(
                file: path, task: task,
                source: .sqlite(
                    target: target, options: options, table: inv.string("table"), query: inv.string("query")))
        }
        return Options(
            file: path, task: task, source: .csv(target: target, options: options, separator: try separator(inv)))
    }

    /// `sep=` as a byte: one ASCII character other than a quote or a line end; `tab` or "\t" for a tab.
    static func separator(_ inv: Invocation) throws -> UInt8? {
        guard let text = inv.string("sep") else { return nil }
        if text == "tab" || text == "\\t" || text == "\t" { return 0x09 }
        guard text.utf8.count == 1, let b = text.utf8.first, b >= 0x20 || b == 0x09, b < 0x7F, b != 0x22 else {
            throw inv.error("sep takes one character, e.g. sep=\";\" or sep=tab", at: "sep")
        }
        return b
    }

    static func scaling(_ inv: Invocation) throws -> DataCommands.InputScaling {
        if inv.has("means") || inv.has("scales") {
            guard let m = inv.numberList("means"), let s = inv.numberList("scales") else {
                throw inv.error("give means= and scales= together", at: inv.has("means") ? "means" : "scales")
            }
            if inv.has("scaling") { throw inv.error("means= and scales= already say the scaling", at: "scaling") }
            return .given(means: m.map { Float($0) }, scales: s.map { Float($0) })
        }
        return inv.string("scaling") == "standardized" ? .standardized : .raw
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        switch o.source {
        case .model:
            for option in ["target", "na", "categorical", "numeric"] where inv.has(option) {
                throw inv.error(
                    "\(option)= is for CSV data; a model file carries its own columns and outputs", at: option)
            }
        case .csv, .sqlite:
            for option in ["data", "activation", "classes", "scaling", "means", "scales", "layers"]
            where inv.has(option) {
                throw inv.error("\(option)= is for network files (.safetensors, .onnx)", at: option)
            }
        }
        switch o.source {
        case .sqlite(_, _, let table, let query):
            if inv.has("sep") {
                throw inv.error("sep= is for delimited text; a database has its own columns", at: "sep")
            }
            if table != nil, query != nil {
                throw inv.error("give table= or query=, not both", at: "query")
            }
            if table == nil, query == nil {
                let tables = (try? DataSource.sqliteTables(path: o.file)) ?? []
                throw inv.error(
                    "a database holds tables: name one with table=\(tables.isEmpty ? "" : " (\(tables.joined(separator: ", ")))") or give query=\"select …\"",
                    at: "file")
            }
            if let table, let tables = try? DataSource.sqliteTables(path: o.file), !tables.contains(table) {
                throw inv.error(
                    "no table named '\(table)' in \(o.file)\(Diagnostics.didYouMean(table, in: tables)) (tables: \(tables.isEmpty ? "none" : tables.joined(separator: ", ")))",
                    at: "table")
            }
        case .csv, .model:
            for option in ["table", "query"] where inv.has(option) {
                throw inv.error("\(option)= is for SQLite databases (.sqlite, .db)", at: option)
            }
            if case .model = o.source, inv.has("sep") { throw inv.error("sep= is for delimited text", at: "sep") }
        }
    }

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o.source {
        case .model(let data, let activation, let classes, let scaling, let order):
            let (model, notes) = try DataCommands.loadModel(
                path: o.file, task: o.task, data: data, dataName: inv.names["data"],
                activation: activation, classes: classes, scaling: scaling, order: order)
            for n in notes { inv.session.output.note(n) }
            return .model(model)
        case .csv(let target, var options, let separator):
            let head = DataSource.head(of: o.file)
            var (data, dropped): (Dataset, Int)
            if DataSource.isGzip(head.bytes) {
                let text = try DataSource.gunzip(path: o.file, cancellation: inv.cancellation)
                options.separator =
                    separator ?? DataSource.sniff(Array(text.prefix(1 << 16)), whole: text.count <= 1 << 16)
                (data, dropped) = try Dataset.read(
                    csv: text, name: o.file, targetName: target, task: o.task, options: options,
                    cancellation: inv.cancellation)
                // "data.csv.gz" holds "data".
                data.name = ((data.name as NSString).deletingPathExtension as NSString).lastPathComponent
            } else {
                options.separator = separator ?? DataSource.sniff(head.bytes, whole: head.whole)
                (data, dropped) = try Dataset.read(
                    path: o.file, targetName: target, task: o.task, options: options, cancellation: inv.cancellation)
            }
            if separator == nil, options.separator != 0x2C {
                inv.session.output.note(
                    "fields separated by \(DataSource.name(of: options.separator)) (guessed from the first lines; sep= to say)"
                )
            }
            return try loaded(data, dropped: dropped, target: target, o, inv)
        case .sqlite(let target, let options, let table, let query):
            let sql = query ?? "select * from \"\((table ?? "").replacingOccurrences(of: "\"", with: "\"\""))\""
            let text: [UInt8]
            do {
                text = try DataSource.sqliteCSV(path: o.file, query: sql, cancellation: inv.cancellation)
            } catch let e as DataFileError where query != nil {
                throw inv.error("\(e.message) (in query=)", at: "query")
            }
            var (data, dropped) = try Dataset.read(
                csv: text, name: o.file, targetName: target, task: o.task, options: options,
                cancellation: inv.cancellation)
            data.name = table ?? ((o.file as NSString).lastPathComponent as NSString).deletingPathExtension
            return try loaded(data, dropped: dropped, target: target, o, inv)
        }
    }

    /// A dataset read: refused when it has no rows, with a note of the rows left out.
    static func loaded(_ data: Dataset, dropped: Int, target: String?, _ o: Options, _ inv: Invocation) throws -> Value
    {
        guard data.rowCount > 0 else {
            throw inv.error(
                dropped > 0
                    ? "'\(o.file)' has no row with a value of the target '\(target ?? "")'"
                    : "'\(o.file)' has a header but no data rows", at: "file")
        }
        if dropped > 0 {
            inv.session.output.note(
                "\(dropped) row\(dropped == 1 ? "" : "s") without a value of the target '\(target ?? "")' left out")
        }
        return .dataset(data)
    }
}
