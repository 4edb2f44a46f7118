import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `verify`: complete verification of a ReLU network against a property — a VNN-LIB file, or a
/// box around a row of data — or a batch of VNN-COMP instances.
enum VerifyCommand: Command {
    static let spec = CommandSpec(
        name: "verify",
        summary:
            "Complete verification: does any input in a box reach an unsafe output? holds (proved), violated (a replayed counterexample) or timeout",
        positionals: [
            ParamSpec("network", .word, "the network: a model variable or a network file (.onnx, .safetensors)"),
            ParamSpec(
                "property", .word,
                "a VNN-LIB property file (.vnnlib), or a dataset whose row= is the centre of a box of half-width delta="
            )
        ],
        options: [
            ParamSpec(
                "instances", .path,
                "a VNN-COMP instances file (onnx,vnnlib,timeout per line, paths relative to it): verify each"),
            ParamSpec("timeout", .number, "seconds per property (default 60; a batch: each instance's own)"),
            ParamSpec("row", .integer, "with a dataset: the row (1-based) whose box is checked"),
            ParamSpec(
                "delta", .number, "with a dataset: the box's half-width around the row (L∞), or the ball's radius (L2)"),
            .choice(
                "norm", PerturbationNorm.self,
                "with a dataset: linf, the box of half-width delta; l2, the Euclidean ball of radius delta (searched by ReLU splitting)",
                default: .linf),
            .choice(
                "units", RobustUnits.self,
                "with a dataset: delta in standardised feature units or in the data's own units",
                default: .standardized),
            ParamSpec(
                "epsilon", .number,
                "with a dataset and a regression network: the largest allowed change of the prediction",
                default: .number(0.05)),
            ParamSpec("results", .path, "a batch: write the answers as CSV in VNN-COMP's layout"),
            ParamSpec(
                "expected", .path,
                "a batch: a CSV with onnx, vnnlib and consensus (or result) columns to compare answers with"),
            ParamSpec("restarts", .integer, "attack restarts per unsafe region before branching", default: .number(10)),
            ParamSpec("steps", .integer, "gradient steps of each attack restart", default: .number(50)),
            ParamSpec("seed", .integer, "random seed of the attack's starts (default: the session seed)"),
            ParamSpec("rows", .integer, "a batch: instances shown in the table", default: .number(20))
        ],
        returns: "a verification report",
        examples: [
            "verify \"ACASXU_run2a_1_1_batch_2000.onnx\" \"prop_1.vnnlib\"",
            "verify net \"property.vnnlib\" timeout=30",
            "verify net test row=3 delta=0.05 units=raw",
            "verify net test row=3 delta=0.5 norm=l2",
            "verify instances=\"acasxu_instances.csv\" results=\"mle_results.csv\""
        ]
    ) { inv in try execute(inv) }
    .keepingPartialResults()

    enum Job {
        case single(network: Network, property: Property, timeout: Double)
        case batch(instances: [Instance], file: String)
    }

    /// A property and how reports name it.
    struct Property {
        var property: VerificationProperty
        /// The title's name: the file's, or "row 3 of test".
        var name: String
        /// What the property field says: the boxes and regions, or a row's box and unsafe outputs.
        var detail: String
        /// An L2 ball around a raw row that replaces the box (`norm=l2`): its radius and units.
        var ball: (center: [Float], radius: Double, units: RobustUnits)?
    }

    struct Network {
        var model: MLP
        var verifier: VerifierNetwork
        var name: String
    }

    struct Instance {
        var network: String
        var property: String
        var timeout: Double
        /// As written in the file (for the results CSV and the table).
        var networkText: String
        var propertyText: String
    }

    struct Options {
        var job: Job
        var settings: VerifySettings
        var results: String?
        var expected: [String: String]
        var rows: Int
        var timeoutGiven: Double?
    }

    static func options(_ inv: Invocation) throws -> Options {
        let settings = VerifySettings(
            timeout: 60, restarts: try inv.declared("restarts", Int.self), steps: try inv.declared("steps", Int.self),
            seed: inv.seed())
        let timeout = inv.value("timeout").flatMap { v -> Double? in if case .number(let t) = v { t } else { nil } }
        if let t = timeout, !(t > 0 && t.isFinite) {
            throw inv.error("timeout is a number of seconds > 0", at: "timeout")
        }
        let rows = max(try inv.declared("rows", Int.self), 0)
        if let file = inv.string("instances") {
            for name in ["network", "property", "row", "delta", "norm"] where inv.given(name) {
                throw inv.error("instances= names its own networks and properties; leave out \(name)", at: name)
            }
            let expected = try inv.string("expected").map { try readExpected($0, inv) } ?? [:]
            return Options(
                job: .batch(instances: try readInstances(file, inv), file: file), settings: settings,
                results: inv.string("results"), expected: expected, rows: rows, timeoutGiven: timeout)
        }
        for name in ["results", "expected"] where inv.value(name) != nil {
            throw inv.error("\(name)= is for a batch of instances=", at: name)
        }
        guard inv.value("network") != nil else {
            throw inv.error(
                "verify takes a network and a property (verify net \"prop.vnnlib\"), or instances=\"file.csv\"")
        }
        guard inv.value("property") != nil else {
            throw inv.error(
                "verify needs a property: a .vnnlib file, or a dataset with row= and delta=", at: "network")
        }
        let network = try network(inv)
        return Options(
            job: .single(network: network, property: try property(inv, network), timeout: timeout ?? 60),
            settings: settings, results: nil, expected: [:], rows: rows, timeoutGiven: timeout)
    }

    static func validate(_ o: Options, _ inv: Invocation) throws {
        try inv.check("restarts", o.settings.restarts, in: 0...10_000)
        try inv.check("steps", o.settings.steps, in: 1...100_000)
    }

    static func network(_ inv: Invocation) throws -> Network {
        switch inv.value("network") {
        case .model(let m)?:
            guard let net = m.model as? MLP else {
                throw inv.error(
                    "verify checks neural networks; '\(inv.names["network"] ?? m.model.kind)' is \(Format.withArticle(m.model.kind)) model",
                    at: "network")
            }
            do {
                return Network(
                    model: net, verifier: try VerifierNetwork(net), name: inv.names["network"] ?? "the network")
            } catch let e as VerifyError { throw inv.error(e.description, at: "network") }
        case .string(let path)?:
            do {
                return try load(path)
            } catch let e as VerifyError {
                throw inv.error(e.description, at: "network")
            } catch let e as LearningError {
                throw inv.error(e.description, at: "network")
            } catch let e as SettingError {
                throw inv.error(e.description, at: "network")
            }
        case let v?:
            throw inv.error(
                "network takes a model or the path of a network file, got \(v.typeName) \(v.summary)", at: "network")
        case nil:
            throw inv.error("verify needs a network", at: "network")
        }
    }

    static func load(_ path: String) throws -> Network {
        guard path.hasSuffix(".onnx") || path.hasSuffix(".safetensors") else {
            throw VerifyError("'\(path)' is not a network file (.onnx, .safetensors)")
        }
        let (value, _) = try DataCommands.loadModel(path: path, task: .auto, data: nil, dataName: nil)
        guard let net = value.model as? MLP else { throw VerifyError("'\(path)' is not a neural network") }
        return Network(model: net, verifier: try VerifierNetwork(net), name: (path as NSString).lastPathComponent)
    }

    static func property(_ inv: Invocation, _ network: Network) throws -> Property {
        switch inv.value("property") {
        case .string(let path)?:
            for name in ["row", "delta", "norm"] where inv.given(name) {
                throw inv.error("\(name)= goes with a dataset; a .vnnlib file states its own box", at: name)
            }
            do {
                let property = try VNNLib.read(path: path), name = (path as NSString).lastPathComponent
                return Property(property: property, name: name, detail: "\(name): \(property.summary)")
            } catch let e as VNNLibError {
                throw inv.error("\(path):\(e.line):\(e.column): \(e.message)", at: "property")
            } catch let e as VerifyError {
                throw inv.error(e.description, at: "property")
            }
        case .dataset(let data)?:
            let (property, unsafe, center) = try rowProperty(inv, network, data)
            let unitChoice = try inv.choice("units", RobustUnits.self)
            let units = unitChoice == .raw ? "the data's units" : "standardised units"
            let row = inv.value("row")?.summary ?? "", delta = inv.value("delta")?.summary ?? ""
            let l2 = try inv.choice("norm", PerturbationNorm.self) == .l2
            return Property(
                property: property, name: "row \(row) of \(inv.names["property"] ?? data.name)",
                detail: (l2 ? "every input within ‖x′ − x‖₂ ≤ \(delta)" : "each input ± \(delta)")
                    + " (\(units)); unsafe: \(unsafe)",
                ball: l2 ? (center, try inv.declared("delta", Double.self), unitChoice) : nil)
        case let v?:
            throw inv.error(
                "property takes a .vnnlib file or a dataset, got \(v.typeName) \(v.summary)", at: "property")
        case nil:
            throw inv.error("verify needs a property", at: "property")
        }
    }

    /// The box of half-width δ around a row, unsafe where the predicted class is no longer the
    /// largest output (a classifier) or the prediction moves by more than ε (a regression).
    /// - Returns: the property and its unsafe outputs in words.
    static func rowProperty(_ inv: Invocation, _ network: Network, _ data: Dataset) throws -> (
        VerificationProperty, String, [Float]
    ) {
        guard case .number(let r)? = inv.value("row") else {
            throw inv.error("with a dataset, give the row to check: row=N (1-based)", at: "property")
        }
        guard case .number(let delta)? = inv.value("delta") else {
            throw inv.error("with a dataset, give the box's half-width: delta=0.05", at: "property")
        }
        guard delta >= 0, delta.isFinite else { throw inv.error("delta must be a number ≥ 0", at: "delta") }
        let row = Int(r)
        guard row >= 1, row <= data.rowCount else {
            throw inv.error("row must be between 1 and \(data.rowCount), the data's rows", at: "row")
        }
        let net = network.model
        let x: Matrix
        do { x = try net.inputs(data) } catch let e as LearningError { throw inv.error(e.description, at: "property") }
        let center = x.row(row - 1).map(Double.init)
        let units = try inv.choice("units", RobustUnits.self)
        let scale = units == .raw ? center.map { _ in 1.0 } : net.standardizer.scale.map(Double.init)
        let lower = center.indices.map { center[$0] - delta * scale[$0] }
        let upper = center.indices.map { center[$0] + delta * scale[$0] }
        let y = network.verifier.evaluate(center)
        let k = y.count
        var regions: [[VerificationProperty.Constraint]] = []
        let unsafe: String
        if case .classification(let names) = net.task {
            let c = y.indices.max { y[$0] < y[$1] } ?? 0
            for j in 0..<k where j != c {
                var a = [Double](repeating: 0, count: k)
                a[c] = 1
                a[j] = -1
                regions.append([.init(coefficients: a, constant: 0)])  // y_c − y_j ≤ 0
            }
            unsafe = "another class scores at least as high as \(names[safe: c] ?? "the predicted one")"
        } else {
            let epsilon = try inv.declared("epsilon", Double.self)
            guard epsilon >= 0, epsilon.isFinite else { throw inv.error("epsilon must be ≥ 0", at: "epsilon") }
            regions.append([.init(coefficients: [-1], constant: y[0] + epsilon)])  // y ≥ f(x) + ε
            regions.append([.init(coefficients: [1], constant: -(y[0] - epsilon))])  // y ≤ f(x) − ε
            unsafe = "the prediction moves by ε = \(Format.number(epsilon)) or more from \(Format.number(y[0]))"
        }
        return (
            VerificationProperty(
                inputs: center.count, outputs: k, cases: [.init(lower: lower, upper: upper, unsafe: regions)]),
            unsafe, x.row(row - 1)
        )
    }

    // MARK: Instances

    static func readInstances(_ file: String, _ inv: Invocation) throws -> [Instance] {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw inv.error("cannot read '\(file)': \((error as NSError).localizedDescription)", at: "instances")
        }
        let folder = (file as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || folder.isEmpty ? p : (folder as NSString).appendingPathComponent(p)
        }
        var out: [Instance] = []
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if fields.allSatisfy(\.isEmpty) { continue }
            guard fields.count >= 2 else {
                throw inv.error(
                    "\(file):\(i + 1): expected onnx,vnnlib,timeout; found '\(line.prefix(60))'", at: "instances")
            }
            var timeout = 60.0
            if fields.count >= 3 {
                guard let t = Double(fields[2]), t > 0, t.isFinite else {
                    if out.isEmpty, i == 0 { continue }  // a header
                    throw inv.error(
                        "\(file):\(i + 1): the timeout '\(fields[2])' is not a number of seconds", at: "instances")
                }
                timeout = t
            }
            out.append(
                Instance(
                    network: resolve(fields[0]), property: resolve(fields[1]), timeout: timeout,
                    networkText: fields[0], propertyText: fields[1]))
        }
        guard !out.isEmpty else { throw inv.error("'\(file)' lists no instances", at: "instances") }
        return out
    }

    /// The expected answer of each (network file, property file), by their base names.
    static func readExpected(_ file: String, _ inv: Invocation) throws -> [String: String] {
        let table: CSVTable
        do {
            table = try CSVReader.parse(try String(contentsOfFile: file, encoding: .utf8), file: file)
        } catch let e as LearningError {
            throw inv.error(e.description, at: "expected")
        } catch {
            throw inv.error("cannot read '\(file)': \((error as NSError).localizedDescription)", at: "expected")
        }
        let header = table.header.map { $0.lowercased() }
        guard let a = header.firstIndex(of: "onnx"), let b = header.firstIndex(of: "vnnlib"),
            let c = header.firstIndex(of: "consensus") ?? header.firstIndex(of: "result")
        else {
            throw inv.error("'\(file)' needs columns onnx, vnnlib and consensus (or result)", at: "expected")
        }
        var out: [String: String] = [:]
        for row in table.records where row.count > max(a, b, c) {
            out[key(row[a], row[b])] = row[c].lowercased()
        }
        return out
    }

    static func key(_ network: String, _ property: String) -> String {
        (network as NSString).lastPathComponent + "|" + (property as NSString).lastPathComponent
    }

    // MARK: Running

    static func run(_ o: Options, _ inv: Invocation) throws -> Value {
        switch o.job {
        case .single(let network, let property, let timeout):
            var settings = o.settings
            settings.timeout = timeout
            let context = inv.context("verify") { done, _ in "\(done / 10)% of the box proved" }
            let result: VerifyResult
            do {
                result = try BLASThreads.single(stopIdleWorkers: context.threads.mayStopIdleWorkers) {
                    if let ball = property.ball {
                        return try Verifier.verifyBall(
                            network.model, center: ball.center, radius: ball.radius, units: ball.units,
                            property: property.property, settings: settings, context: context)
                    }
                    return try Verifier.verify(
                        network.verifier, property.property, settings: settings, context: context)
                }
            } catch let e as VerifyError {
                throw inv.error(e.description, at: "property")
            } catch is Cancelled { throw Interrupted() }
            return .report(singleReport(result, network: network, property: property))
        case .batch(let instances, let file):
            return .report(try batch(instances, file: file, o, inv))
        }
    }

    static func answerText(_ r: VerifyResult) -> String {
        switch r.answer {
        case .holds: return "holds — no input in the box reaches the unsafe region (proved)"
        case .violated: return "violated — a counterexample, replayed in double and float32"
        case .timeout:
            return r.openLimitReached
                ? "timeout — stopped at mle's cap on open sub-boxes (memory) before time ran out"
                : "timeout — neither proved nor violated in the time allowed"
        case .unknown:
            return "unknown — a sub-box too small to split in floating point still straddles the boundary"
        }
    }

    static func singleReport(
        _ r: VerifyResult, network: Network, property p: Property
    ) -> Report {
        let propertyText = p.name, property = p.property
        var fields: [Field] = [
            Field("property_summary", "property", .text(p.detail)),
            Field(
                "answer",
                .shown(
                    .text(r.answer.rawValue),
                    as: p.ball == nil
                        ? answerText(r) : answerText(r).replacingOccurrences(of: "in the box", with: "in the ball"))),
            Field("seconds", "time", .shown(.number(r.seconds, .significant), as: Format.duration(r.seconds))),
            Field(
                "domains", "branches",
                .shown(
                    .count(r.domains),
                    as: r.domains == 0 || r.counterexample?.foundBy == "attack"
                        ? "none (the attack settled it)"
                        : r.domains == 1
                            ? "1 (the whole box bounded at once)"
                            : r.splitting == .relus
                                ? "\(r.domains) sub-problems bounded, splitting ReLUs (α,β-CROWN)"
                                : "\(r.domains) sub-boxes bounded, \(r.depth) splits deep")),
            Field("depth", .count(r.depth), audience: .machines),
            Field("splitting", .text(r.splitting.rawValue), audience: .machines)
        ]
        if r.answer == .timeout || r.answer == .unknown {
            // A share of the box proved means something for input splitting or several boxes.
            if r.splitting == .inputs || property.cases.count > 1 {
                fields.append(
                    Field(
                        "proved", "proved",
                        .shown(
                            .number(r.provedFraction, .percent), as: "\(Format.percent(r.provedFraction)) of the box")))
            }
            if let b = r.lowestBound {
                let part = r.splitting == .inputs ? "sub-box" : "sub-problem"
                fields.append(
                    Field(
                        "lowest_bound", "best bound",
                        .shown(
                            .number(b, .significant),
                            as: "\(String(format: "%.4g", b)) (a proof needs > 0 in every \(part))")))
            }
        }
        var tables: [Table] = []
        var notes: [String] = []
        if let cx = r.counterexample {
            let names = network.model.featureNames
            let box = property.cases[cx.caseIndex]
            if let ball = p.ball {
                tables.append(
                    Table(
                        key: "counterexample", caption: "the counterexample (found by \(cx.foundBy))",
                        columns: [
                            Table.Column("input", "input", .left), Table.Column("name", "", .left),
                            Table.Column("value"), Table.Column("center", "the row")
                        ],
                        rows: cx.input.indices.map { i in
                            [
                                .text("X_\(i)"), .text(names[safe: i] ?? ""), .number(cx.input[i], .general),
                                .number(Double(ball.center[safe: i] ?? .nan), .general)
                            ]
                        }))
            } else {
                tables.append(
                    Table(
                        key: "counterexample", caption: "the counterexample (found by \(cx.foundBy))",
                        columns: [
                            Table.Column("input", "input", .left), Table.Column("name", "", .left),
                            Table.Column("value"), Table.Column("lower", "box from"), Table.Column("upper", "to")
                        ],
                        rows: cx.input.indices.map { i in
                            [
                                .text("X_\(i)"), .text(names[safe: i] ?? ""), .number(cx.input[i], .general),
                                .number(box.lower[i], .general), .number(box.upper[i], .general)
                            ]
                        }))
            }
            tables.append(
                Table(
                    key: "outputs", caption: "its outputs (in the unsafe region in both precisions)",
                    columns: [
                        Table.Column("output", "output", .left), Table.Column("class", "", .left),
                        Table.Column("double"), Table.Column("float32")
                    ],
                    rows: cx.outputs.indices.map { j in
                        [
                            .text("Y_\(j)"), .text(network.model.task.classNames[safe: j] ?? ""),
                            .number(cx.outputs[j], .general), .number(cx.outputsFloat[j], .general)
                        ]
                    }))
        }
        if r.answer == .holds {
            notes.append(
                "proved for the network in exact arithmetic: bounds in double precision, a constraint counted as refuted only above 1e-7 relative (far beyond double's rounding here)"
            )
        }
        if r.answer == .timeout { notes.append("timeout=N allows more time") }
        var report = Report(
            kind: "verification", title: "verification of \(network.name) against \(propertyText)", fields: fields,
            tables: tables, verdict: nil, notes: notes)
        report.subjects = [("network", network.name), ("property", propertyText)]
        return report
    }

    // MARK: Batch

    static func batch(_ list: [Instance], file: String, _ o: Options, _ inv: Invocation) throws -> Report {
        let context = inv.context("verify") { done, total in "instance \(min(done + 1, total)) of \(total)" }
        var networks: [String: Network] = [:]
        var properties: [String: VerificationProperty] = [:]
        var rows: [[Cell]] = []
        var results: [(Instance, VerifyResult?, String?)] = []
        var interrupted = false
        let wall = Date()
        for (i, instance) in list.enumerated() {
            context.progress(i, of: list.count)
            if context.isCancelled {
                interrupted = true
                break
            }
            do {
                let net: Network
                if let n = networks[instance.network] {
                    net = n
                } else {
                    net = try load(instance.network)
                    networks[instance.network] = net
                }
                let prop: VerificationProperty
                if let p = properties[instance.property] {
                    prop = p
                } else {
                    do { prop = try VNNLib.read(path: instance.property) } catch let e as VNNLibError {
                        throw VerifyError("\(instance.propertyText):\(e.line):\(e.column): \(e.message)")
                    }
                    properties[instance.property] = prop
                }
                var s = o.settings
                s.timeout = o.timeoutGiven ?? instance.timeout
                let r = try BLASThreads.single(stopIdleWorkers: context.threads.mayStopIdleWorkers) {
                    try Verifier.verify(net.verifier, prop, settings: s, context: context.silent)
                }
                results.append((instance, r, nil))
            } catch is Cancelled {
                interrupted = true
                break
            } catch let e as VerifyError {
                results.append((instance, nil, e.description))
            } catch let e as LearningError {
                results.append((instance, nil, e.description))
            } catch let e as SettingError {
                results.append((instance, nil, e.description))
            } catch {
                results.append((instance, nil, "\(error)"))
            }
        }
        let wallSeconds = Date().timeIntervalSince(wall)
        var wrong = 0, agreed = 0, compared = 0
        for (instance, r, error) in results {
            let expected = o.expected[key(instance.networkText, instance.propertyText)]
            var agreement: Cell = .missing("")
            if let expected, let r, r.answer == .holds || r.answer == .violated {
                compared += 1
                if expected == r.answer.rawValue {
                    agreed += 1
                    agreement = .text("yes")
                } else if expected == "holds" || expected == "violated" {
                    wrong += 1
                    agreement = .text("NO")
                }
            }
            rows.append([
                .text((instance.networkText as NSString).lastPathComponent),
                .text((instance.propertyText as NSString).lastPathComponent),
                .text(r?.answer.rawValue ?? "error"), .number(r?.seconds, .significant), .count(r?.domains ?? 0),
                .number(instance.timeout, .general), .text(expected ?? ""), agreement, .text(error ?? "")
            ])
        }
        var columns: [Table.Column] = [
            Table.Column("network", "network", .left), Table.Column("property", "property", .left),
            Table.Column("answer", "answer", .left), Table.Column("seconds"), Table.Column("branches"),
            Table.Column("timeout")
        ]
        columns += [
            Table.Column("expected", "published", .left, audience: o.expected.isEmpty ? .machines : .all),
            Table.Column("agrees", "agrees", .left, audience: o.expected.isEmpty ? .machines : .all),
            Table.Column("error", "error", .left)
        ]
        var table = Table(
            key: "instances", caption: "each instance (seconds: wall time, start-up of the file included)",
            columns: columns, rows: rows, limit: o.rows)
        table.moreHint = "rows=N shows more; results= writes them all as CSV"
        let done = results.compactMap(\.1)
        func count(_ a: VerifyAnswer) -> Int { done.filter { $0.answer == a }.count }
        let times = done.map(\.seconds).sorted()
        let median = times.isEmpty ? 0 : times[times.count / 2]
        let slowest = results.compactMap { i, r, _ in r.map { (i, $0) } }.max { $0.1.seconds < $1.1.seconds }
        var fields: [Field] = [
            Field("instance_count", "instances", .count(results.count)),
            Field("holds", .count(count(.holds))), Field("violated", .count(count(.violated))),
            Field("timeout", .count(count(.timeout))), Field("unknown", .count(count(.unknown))),
            Field("errors", .count(results.filter { $0.2 != nil }.count)),
            Field(
                "seconds", "total time", .shown(.number(wallSeconds, .significant), as: Format.duration(wallSeconds))),
            Field("median_seconds", "median", .shown(.number(median, .significant), as: Format.duration(median)))
        ]
        if let (i, r) = slowest {
            fields.append(
                Field(
                    "slowest", "slowest",
                    .text(
                        "\((i.networkText as NSString).lastPathComponent) \((i.propertyText as NSString).lastPathComponent): \(Format.duration(r.seconds)) (\(r.answer.rawValue))"
                    )))
        }
        if !o.expected.isEmpty {
            fields.append(
                Field("agreed", "agree with published", .shown(.count(agreed), as: "\(agreed) of \(compared) answered"))
            )
            fields.append(Field("wrong", .count(wrong)))
        }
        var notes: [String] = []
        if interrupted {
            notes.append("interrupted: \(results.count) of \(list.count) instances finished")
            fields.append(Field("interrupted", .flag(true), audience: .machines))
        }
        if let path = o.results {
            try writeResults(results, to: path, inv)
            notes.append(
                "answers written to \(path) (VNN-COMP's layout: benchmark, onnx, vnnlib, prepare time, result, run time)"
            )
        }
        if wrong > 0 {
            notes.append("\(wrong) answers disagree with the published ones")
        }
        var report = Report(
            kind: "verification_batch", title: "verification of \(list.count) instances from \(file)",
            fields: fields, tables: [table], notes: notes)
        report.subjects = [("instances_file", file)]
        return report
    }

    static func writeResults(_ results: [(Instance, VerifyResult?, String?)], to path: String, _ inv: Invocation) throws
    {
        var text = "benchmark,onnx,vnnlib,prepare_time,result,run_time\n"
        for (instance, r, _) in results {
            let answer = r?.answer.rawValue ?? "error"
            text +=
                "mle,\(instance.networkText),\(instance.propertyText),0,\(answer),\(String(format: "%.6f", r?.seconds ?? 0))\n"
        }
        do { try AtomicFile.write(Data(text.utf8), to: path) } catch {
            throw inv.error("cannot write '\(path)': \((error as NSError).localizedDescription)", at: "results")
        }
    }
}
