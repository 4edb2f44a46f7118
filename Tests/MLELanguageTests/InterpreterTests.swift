import Foundation
import MLELanguage
import MLELearning
import MLETensor
import MLETestSupport
import Synchronization
import Testing

@Test func misspelledCommandSuggestsTheRightOne() {
    let (_, out, ok) = run("x = 1\ny = 2\nevalute x y")
    #expect(!ok)
    #expect(out.errors == ["t.mle:3:1: error: unknown command 'evalute'; did you mean 'evaluate'?"])
}

@Test func misspelledOptionAndVariableSuggest() {
    let iris = dataPath("iris.csv")
    let (_, out, _) = run("data = load \"\(iris)\" target=species\nnet = mlp data epoch=3", keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:2:16: error: unknown option 'epoch' for 'mlp'; did you mean 'epochs'?\n    usage: mlp DATA [hidden=…] [epochs=…] [lr=…] [batch=…] [activation=…] [optimizer=…] … (14 more options: help mlp)"
        ])
    let (_, out2, _) = run("data = load \"\(iris)\" target=species\ndescribe dta")
    #expect(out2.errors == ["t.mle:2:10: error: unknown variable 'dta'; did you mean 'data'?"])
}

@Test func aFailedCommandChangesNoVariable() {
    let iris = dataPath("iris.csv")
    let (s, out, _) = run(
        "data = load \"\(iris)\" target=species\ndata = load \"/no/such.csv\" target=species", keepGoing: true)
    #expect(out.errors == ["t.mle:2:13: error: /no/such.csv: cannot open: no such file"])
    guard case .dataset(let d)? = s.variables["data"] else { Issue.record("data should survive"); return }
    #expect(d.rowCount == 150)
    // A pair assignment from a failing split leaves both names unbound.
    let (s2, _, _) = run("train, test = split data ratio=2", in: s)
    #expect(s2.variables["train"] == nil && s2.variables["test"] == nil)
}

@Test func scriptStopsAtFirstErrorUnlessKeepGoing() {
    let (s, out, ok) = run("a = 1\nb = 2\nc = nosuch\nd = 4")
    #expect(!ok && s.variables["d"] == nil && s.variables["b"] != nil)
    #expect(out.errors == ["t.mle:3:5: error: unknown variable 'nosuch'"])
    let (s2, _, ok2) = run("a = 1\nc = nosuch\nd = 4", keepGoing: true)
    #expect(!ok2 && s2.variables["d"] != nil)
}

@Test func csvErrorsNameTheScriptAndTheDataFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let bad = dir.appendingPathComponent("bad.csv").path
    try "x,y\n1,a\nfoo,b\n".write(toFile: bad, atomically: true, encoding: .utf8)
    let (_, out, _) = run("d = load \"\(bad)\" target=y numeric=[x]")
    #expect(
        out.errors == [
            "t.mle:1:10: error: \(bad):3:1: 'foo' in column 'x' is not a number (the column was declared numeric)"
        ])
    let (_, out2, _) = run("d = load \"\(bad)\" target=z")
    #expect(out2.errors.first?.hasPrefix("t.mle:1:10: error: \(bad):1:1: no column named 'z' in the header") == true)
}

@Test func argumentTypesAreChecked() {
    let iris = dataPath("iris.csv")
    let (_, out, _) = run(
        """
        data = load "\(iris)" target=species
        evaluate data data
        net = mlp data hidden=[1.5]
        split data ratio="x"
        baseline data kind=zero
        mlp
        """, keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:2:10: error: 'data' is a dataset, but model takes a model",
            "t.mle:3:23: error: hidden takes a whole number, got 1.5",
            "t.mle:4:18: error: ratio takes a number, got string \"x\"",
            "t.mle:5:20: error: 'zero' is not a choice for kind; did you mean 'zero_rule'? (choices: zero_rule, mean, median, uniform, prior)",
            "t.mle:6:1: error: 'mlp' needs a DATA (the training data)\n    usage: mlp DATA [hidden=…] [epochs=…] [lr=…] [batch=…] [activation=…] [optimizer=…] … (14 more options: help mlp)"
        ])
}

@Test func forLoopsAndPlainValues() {
    let (s, out, ok) = run(
        """
        total = 0
        for x in [1, 2, 3] {
          last = x
        }
        sizes = [16, 8]
        """)
    #expect(ok)
    guard case .number(let v)? = s.variables["last"] else { Issue.record("loop should assign"); return }
    #expect(v == 3)
    #expect(out.results.last == "sizes: [16, 8]")
}

@Test func jsonFormatPrintsOneObjectPerResult() throws {
    let iris = dataPath("iris.csv")
    let (_, out, ok) = run(
        """
        set format json
        data = load "\(iris)" target=species
        train, test = split data ratio=0.8 stratify seed=1
        base = baseline train
        evaluate base test
        """)
    #expect(ok)
    for line in out.results {
        #expect(!line.contains("\n"))
        #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)")
    }
    let last = try JSONSerialization.jsonObject(with: Data(out.results.last!.utf8)) as? [String: Any]
    #expect(last?["report"] as? String == "evaluation")
    #expect(abs((last?["accuracy"] as? Double ?? 0) - 1.0 / 3.0) < 1e-9)
    // The confusion matrix as rows: the actual class, then a count per predicted class.
    let confusion = last?["confusion"] as? [[String: Any]] ?? []
    #expect(confusion.map { $0["actual"] as? String } == ["setosa", "versicolor", "virginica"])
    #expect(
        confusion.map { row in ["setosa", "versicolor", "virginica"].map { row[$0] as? Int } } == [
            [10, 0, 0], [10, 0, 0], [10, 0, 0]
        ])
}

@Test func sessionSeedMakesScriptsReproducibleAndAdvances() {
    let iris = dataPath("iris.csv")
    let script = """
        data = load "\(iris)" target=species
        a, b = split data ratio=0.5
        c, d = split data ratio=0.5
        """
    let (s1, _, _) = run(script)
    let (s2, _, _) = run(script)
    guard case .dataset(let a1)? = s1.variables["a"], case .dataset(let a2)? = s2.variables["a"],
        case .dataset(let c1)? = s1.variables["c"]
    else { Issue.record("datasets expected"); return }
    #expect(a1.features == a2.features)
    #expect(a1.features != c1.features)
    // A command that fails leaves the session seed as it was: the split after it is the same.
    let (s3, out3, _) = run(
        """
        data = load "\(iris)" target=species
        bad = resample data method=smote ratio=3
        a, b = split data ratio=0.5
        """, keepGoing: true)
    #expect(out3.errors.count == 1)
    guard case .dataset(let a3)? = s3.variables["a"] else { Issue.record("a expected"); return }
    #expect(a3.features == a1.features && s3.seed == 1)
}

@Test func helpCoversEveryCommandFromTheRegistry() {
    let registry = CommandRegistry.standard
    let (_, out, ok) = run("help")
    #expect(ok)
    for name in registry.names { #expect(out.results[0].contains(name)) }
    for name in registry.names {
        let (_, o, ok) = run("help \(name)")
        #expect(ok && o.results[0].contains("usage    \(name)"))
        for option in registry[name]?.options ?? [] { #expect(o.results[0].contains(option.name)) }
    }
    // Every help text fits 80 columns (and 100, the width without a terminal), words unbroken.
    for width in [80, 100] {
        for topic in [""] + registry.names {
            let session = Session()
            session.width = width
            Interpreter(session: session).run("help \(topic)", file: "t.mle")
            let text = (session.sink as? BufferedOutput)?.results.joined(separator: "\n") ?? ""
            let long = text.split(separator: "\n").filter { $0.count > width }
            #expect(long.isEmpty, "help \(topic) at \(width) columns: \(long)")
            // Each option's name stands whole at the start of its row.
            let lines = text.split(separator: "\n").map(String.init)
            for option in registry[topic]?.options ?? [] {
                #expect(
                    lines.contains { $0 == option.name || $0.hasPrefix(option.name + " ") },
                    "help \(topic): \(option.name)")
            }
        }
    }
    let (_, bad, _) = run("help evalute")
    #expect(bad.errors == ["t.mle:1:6: error: no command or topic named 'evalute'; did you mean 'evaluate'?"])
    let (_, topic, _) = run("help metricz")
    #expect(topic.errors == ["t.mle:1:6: error: no command or topic named 'metricz'; did you mean 'metrics'?"])
}

@Test func sourceRunsAnotherScriptAndRefusesCycles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-src-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let inner = dir.appendingPathComponent("inner.mle").path
    try "y = 5\n".write(toFile: inner, atomically: true, encoding: .utf8)
    let (s, _, ok) = run("source \"\(inner)\"\nz = y")
    #expect(ok && s.variables["z"] != nil)
    let loop = dir.appendingPathComponent("loop.mle").path
    try "source \"\(loop)\"\n".write(toFile: loop, atomically: true, encoding: .utf8)
    let (_, out, ok2) = run("source \"\(loop)\"")
    #expect(!ok2)
    #expect(out.errors.contains { $0.contains("already being sourced") })
}

@Test func predictWritesCSVAtomically() throws {
    let iris = dataPath("iris.csv")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-pred-\(UUID().uuidString).csv").path
    let (_, _, ok) = run(
        """
        data = load "\(iris)" target=species
        base = baseline data
        predict base data to="\(file)"
        """)
    #expect(ok)
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let lines = text.split(separator: "\n")
    #expect(lines.count == 151)
    #expect(lines[0] == "row,actual,predicted,p_setosa,p_versicolor,p_virginica")
    // Numbers as numbers: the probabilities in full, not as display text.
    #expect(lines[1] == "1,setosa,setosa,1,0,0")
}

@Test func completionOffersCommandsOptionsChoicesAndPaths() throws {
    let (session, _, loaded) = run("train = load \"\(dataPath("iris.csv"))\" target=species")
    #expect(loaded)
    let c = Completer(session: session)
    #expect(c.complete("eva") == .init(insert: "luate ", candidates: []))
    #expect(c.complete("net = ml") == .init(insert: "p ", candidates: []))
    #expect(c.complete("mlp train ep") == .init(insert: "ochs=", candidates: []))
    #expect(c.complete("describe tr") == .init(insert: "ain ", candidates: []))
    #expect(c.complete("baseline train kind=z") == .init(insert: "ero_rule ", candidates: []))
    #expect(c.complete("split train str") == .init(insert: "atify ", candidates: []))
    #expect(c.complete("s").candidates == ["sample", "save", "search", "set", "show", "source", "split"])
    #expect(c.complete("set format j") == .init(insert: "son ", candidates: []))
    #expect(c.complete("set ti") == .init(insert: "mer ", candidates: []))
    #expect(c.complete("set timer o").candidates == ["off", "on"])
    #expect(c.complete("set seed 4") == .init(insert: "", candidates: []))
    #expect(c.complete("imbalance comp") == .init(insert: "are ", candidates: []))
    #expect(c.complete("ensemble train vote=h") == .init(insert: "ard ", candidates: []))
    #expect(c.complete("ensemble train hid") == .init(insert: "den=", candidates: []))  // the member model's options
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-comp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try "a".write(to: dir.appendingPathComponent("iris.csv"), atomically: true, encoding: .utf8)
    #expect(c.complete("load \"\(dir.path)/ir") == .init(insert: "is.csv\"", candidates: []))
    #expect(c.complete("load \"\(dir.path)/su") == .init(insert: "b/", candidates: []))
}

@Test func completionOffersColumnsClassesAndVariablesOfTheRightType() throws {
    let (session, out, ok) = run(
        """
        peng = load "\(dataPath("penguins.csv"))" target=species
        net = mlp peng hidden=[4] epochs=1 seed=1
        delta = 0.1
        name = "x"
        """)
    #expect(ok, "\(out.errors)")
    let c = Completer(session: session)
    // Only a model fits evaluate's first argument, only a dataset its second.
    let first = c.complete("evaluate ").candidates, second = c.complete("evaluate net ").candidates
    #expect(first.contains("net") && !first.contains("peng") && !first.contains("delta") && !first.contains("name"))
    #expect(second.contains("peng") && !second.contains("net") && !second.contains("delta"))
    // Column names of the statement's data, in a list too; class names of its target.
    #expect(c.complete("evaluate net peng by=is") == .init(insert: "land ", candidates: []))
    #expect(c.complete("evaluate net peng by=[island, bill_l") == .init(insert: "ength_mm ", candidates: []))
    #expect(c.complete("evaluate net peng positive=Ch") == .init(insert: "instrap ", candidates: []))
    #expect(c.complete("relabel peng keep=[Ad") == .init(insert: "elie ", candidates: []))
    // load's target= from the file's header, before the data exists.
    #expect(c.complete("d = load \"\(dataPath("iris.csv"))\" target=sp") == .init(insert: "ecies ", candidates: []))
    // An option of a type takes the variables of that type.
    #expect(c.complete("robust net peng delta=") == .init(insert: "delta ", candidates: []))
    #expect(c.complete("help met") == .init(insert: "rics ", candidates: []))
    // Every option the completer treats as columns or classes is an option of some command.
    let options = Set(
        CommandRegistry.standard.names.flatMap { CommandRegistry.standard[$0]?.options.map(\.name) ?? [] })
    #expect(Completer.columnOptions.isSubset(of: options) && Completer.classOptions.isSubset(of: options))
}

@Test func tourScriptRunsEndToEndWithAccurateMLP() throws {
    let tour = root.appendingPathComponent("scripts/tour.mle").path
    let text = try String(contentsOfFile: tour, encoding: .utf8)
    #expect(FileManager.default.changeCurrentDirectoryPath(root.path))
    let (s, out, ok) = run(text)
    #expect(ok, "tour failed: \(out.errors)")
    #expect(out.errors.isEmpty)
    guard case .model(let net)? = s.variables["net"], case .dataset(let test)? = s.variables["test"] else {
        Issue.record("tour should define net and test"); return
    }
    guard case .classification(let m) = try MLEEvaluationBridge.evaluate(net.model, test) else {
        Issue.record("classification expected"); return
    }
    #expect(m.accuracy >= 0.93)
    #expect(out.results.contains { $0.hasPrefix("evaluate net on test") })
}

@Test func committedReferenceMatchesTheRegistry() throws {
    let committed = try String(contentsOfFile: root.appendingPathComponent("docs/reference.md").path, encoding: .utf8)
    #expect(
        committed == ReferenceDoc.markdown(),
        "docs/reference.md is stale: run mle --print-reference > docs/reference.md")
    for name in CommandRegistry.standard.names { #expect(committed.contains("### \(name)")) }
}

@Test func describeStatisticsMatchHandComputation() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-desc-\(UUID().uuidString).csv").path
    try "x,y\n1,a\n2,a\n3,b\n4,a\n".write(toFile: file, atomically: true, encoding: .utf8)
    let (_, out, ok) = run("set format json\nd = load \"\(file)\" target=y\ndescribe d")
    #expect(ok)
    let report = try JSONSerialization.jsonObject(with: Data(out.results.last!.utf8)) as? [String: Any]
    let x = (report?["numeric"] as? [[String: Any]])?.first
    // mean 2.5; sample standard deviation sqrt(((1.5² + 0.5²) · 2) / 3) = sqrt(5/3) = 1.2909944
    #expect(x?["mean"] as? Double == 2.5 && x?["min"] as? Double == 1 && x?["max"] as? Double == 4)
    #expect(abs((x?["std"] as? Double ?? 0) - (5.0 / 3.0).squareRoot()) < 1e-12)
    let classes = report?["classes"] as? [[String: Any]] ?? []
    #expect(classes.map { $0["class"] as? String } == ["a", "b"] && classes.map { $0["count"] as? Int } == [3, 1])
    #expect(classes.map { $0["share"] as? Double } == [0.75, 0.25] && report?["target"] as? String == "y")
}

@Test func timerReportsEachStatementAndEachLoopAfterItsOutput() throws {
    let (s, out, ok) = run(
        """
        x = 1
        set timer on
        y = 2
        for i in [1, 2] { z = i }
        set timer off
        w = 3
        """)
    #expect(ok)
    #expect(!s.timer)
    // Not timed: statements before `set timer on`, that statement itself, `set timer off` and after.
    #expect(out.notes.count == 4)
    let lines = try out.notes.map { note in
        let m = try #require(
            note.wholeMatch(of: /time( \(for loop\))?: ([0-9.]+) (µs|ms|s|min) wall, ([0-9.]+) (µs|ms|s|min) cpu/))
        return m.output.1 != nil
    }
    #expect(lines == [false, false, false, true])
    #expect(out.results == ["x: 1", "y: 2", "z: 1", "z: 2", "w: 3"])

    let (_, json, ok2) = run("set format json\nset timer on\nv = 5")
    #expect(ok2)
    let note = try #require(json.notes.first)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(note.utf8)) as? [String: Any])
    let time = try #require(object["time"] as? [String: Any])
    #expect(time["statement"] as? String == "command")
    let wall = try #require(time["wall_seconds"] as? Double), cpu = try #require(time["cpu_seconds"] as? Double)
    #expect(wall >= 0 && cpu >= 0)

    let (s3, bad, ok3) = run("set timer on\nset timer maybe", keepGoing: true)
    #expect(!ok3)
    #expect(s3.timer)
    #expect(bad.errors == ["t.mle:2:11: error: 'maybe' is not a timer setting (choices: on, off)"])
}

@Test func durationsKeepThreeSignificantDigitsInAFittingUnit() {
    #expect(Format.duration(0.000_412) == "412 µs")
    #expect(Format.duration(0.000_009_5) == "9.50 µs")
    #expect(Format.duration(0.008_84) == "8.84 ms")
    #expect(Format.duration(0.099_96) == "100 ms")
    #expect(Format.duration(0.999_99) == "1.00 s")
    #expect(Format.duration(0.000_999_9) == "1.00 ms")
    #expect(Format.duration(599.9) == "10.0 min")
    #expect(Format.duration(12.34) == "12.3 s")
    #expect(Format.duration(5712) == "95.2 min")
    #expect(Format.duration(.nan) == "—")
    #expect(Format.duration(-1) == "—")
}

@Test func wrappingKeepsEveryWordWhole() {
    var rng = SystemRandomNumberGenerator()
    let vocabulary = [
        "a", "ε-δ", "robustness", "per", "example:", "mlp|logistic|baseline", "[0.01,", "0.05]", "of", "the",
        "network's", "ReLU"
    ]
    for _ in 0..<200 {
        let words = (0..<Int.random(in: 1...40, using: &rng)).map { _ in vocabulary.randomElement(using: &rng) ?? "a" }
        let text = words.joined(separator: " ")
        let width = Int.random(in: 22...90, using: &rng)
        let lines = TextLayout.wrap(text, width: width)
        #expect(lines.allSatisfy { $0.count <= width }, "\(lines)")
        // Rejoined, the lines give the words back in order: a break falls only at a space or after a |.
        let rejoined = lines.map { $0.hasSuffix("|") ? $0 : $0 + " " }.joined()
        #expect(rejoined.split(separator: " ").joined(separator: " ") == text, "\(lines)")
    }
}

@Test func tablesFitTheWidthByWrappingThenFolding() {
    let long = "a long explanation that takes many words to say what it means"
    let table = Table(
        key: "t",
        columns: [Table.Column("name", nil, .left), Table.Column("value"), Table.Column("meaning", nil, .left)],
        rows: [[.text("delta"), .number(0.125), .text(long)], [.text("epsilon"), .number(2.5), .text("short")]])
    let narrow = table.text(width: 40).split(separator: "\n")
    #expect(narrow.allSatisfy { $0.count <= 40 })
    #expect(narrow.count > 4)  // the explanation wrapped onto several lines
    // Number columns cannot shrink below their values: a table of them folds into blocks that
    // each repeat the first column, and every value is still there.
    let wide = Table(
        key: "w", columns: [Table.Column("row")] + (1...12).map { Table.Column("metric_\($0)") },
        rows: [[.count(1)] + (1...12).map { _ in Cell.number(0.123456, .metric) }])
    let folded = wide.text(width: 60)
    #expect(folded.split(separator: "\n").allSatisfy { $0.count <= 60 })
    #expect(folded.components(separatedBy: "0.1235").count - 1 == 12)
    #expect(folded.components(separatedBy: "row").count - 1 >= 2)
    // Left out rows are counted for people; CSV and JSON carry all of them.
    var limited = Table(key: "l", columns: [Table.Column("i")], rows: (1...30).map { [.count($0)] }, limit: 5)
    limited.moreHint = "rows=N shows more"
    #expect(limited.text().hasSuffix("… 25 more rows; rows=N shows more"))
    #expect(limited.csv().split(separator: "\n").count == 31)
}

@Test func csvCellsASpreadsheetWouldRunStayText() {
    // OWASP's advice against CSV injection: text starting =, +, −, @, tab or CR gets an
    // apostrophe; numbers, even negative ones, stay numbers.
    let t = Table(
        key: "p", columns: [Table.Column("class"), Table.Column("score")],
        rows: [
            [.text("=HYPERLINK(\"http://x\",\"y\")"), .number(-0.5)], [.text("+1 (555)"), .number(1e-7)],
            [.text("@SUM(A1)"), .text("-3")], [.text("-x"), .text("\tz")], [.text("plain, text"), .text("a")]
        ])
    let lines = t.csv().split(separator: "\n").map(String.init)
    #expect(lines[1] == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-0.5")
    #expect(lines[2] == "'+1 (555),1e-07")
    #expect(lines[3] == "'@SUM(A1),-3")
    #expect(lines[4] == "'-x,'\tz")
    #expect(lines[5] == "\"plain, text\",a")
}

/// Records what a command reports to the progress bar.
final class RecordingProgress: ProgressSink {
    var starts: [(String, Int)] = []
    var updates: [Int] = []
    var finishes = 0
    func start(_ label: String, total: Int) { starts.append((label, total)) }
    func update(_ done: Int, detail: String) { updates.append(done) }
    func finish() { finishes += 1 }
}

@Test func numericWorkReportsProgressThroughTheExecutionContext() {
    let progress = RecordingProgress()
    let session = Session(progress: progress)
    let ok = Interpreter(session: session).run(
        """
        d = load "\(dataPath("iris.csv"))" target=species
        net = mlp d hidden=[4] epochs=2 seed=1
        robust net d delta=[0.05, 0.1] method=certify
        """, file: "t.mle")
    #expect(ok)
    // One bar for the robustness curve: 2 radii × 150 rows, counted up to the end, never back.
    let robust = progress.starts.filter { $0.0 == "robust" }
    #expect(!robust.isEmpty && robust.allSatisfy { $0.1 == 300 })
    #expect(progress.updates.last == 300)
    let afterTraining = progress.updates.suffix(from: progress.updates.lastIndex(of: 2).map { $0 + 1 } ?? 0)
    #expect(zip(afterTraining, afterTraining.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(progress.finishes >= 3)  // after each command
}

@Test func executionContextRemapsAndSerialisesProgress() async {
    let seen = Mutex([(Int, Int)]())
    let context = ExecutionContext { done, total in seen.withLock { $0.append((done, total)) } }
    let part = context.reporting { done, _ in (100 + done, 1000) }
    await withTaskGroup(of: Void.self) { group in
        for i in 0..<50 { group.addTask { part.progress(i, of: 50) } }
    }
    let calls = seen.withLock { $0 }
    #expect(calls.count == 50)
    #expect(calls.allSatisfy { $0.1 == 1000 && $0.0 >= 100 && $0.0 < 150 })
    context.silent.progress(1, of: 2)
    #expect(seen.withLock { $0.count } == 50)
}

@Test func numericErrorsPointAtTheArgumentThatCausedThem() {
    let (_, out, _) = run(
        """
        d = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
        net = mlp d hidden=[0]
        e = ensemble d chunks=500 model=logistic
        m = mlp d epochs=1 hidden=[4] seed=1
        interval m d metric=recall positive=malignnt
        f = filter d "diagnosis == malignnt"
        g = load "\(dataPath("iris.csv"))" target=specis
        """, keepGoing: true)
    let iris = dataPath("iris.csv")
    #expect(
        out.errors == [
            // The numeric layer says which setting; the language names the option, at its value.
            "t.mle:2:20: error: hidden takes layer sizes between 1 and 65536, e.g. hidden=[32, 16]",
            "t.mle:3:23: error: class 'benign' has 357 rows, fewer than the 500 chunks asked for; use chunks=357 or fewer",
            "t.mle:5:37: error: no class named 'malignnt'; did you mean 'malignant'? (classes: benign, malignant)",
            "t.mle:6:14: error: 'diagnosis' has no class 'malignnt'; did you mean 'malignant'? (classes: benign, malignant)",
            "t.mle:7:10: error: \(iris):1:1: no column named 'specis' in the header; did you mean 'species'? "
                + "(columns: sepal_length, sepal_width, petal_length, petal_width, species)"
        ])
}

@Test func everyRegisteredCommandHasAFileOfItsNameInItsArea() throws {
    let registry = CommandRegistry.standard
    for name in registry.names {
        let spec = try #require(registry[name])
        let file = root.appendingPathComponent(
            "Sources/MLELanguage/Commands/\(spec.area.folder)/\(name.prefix(1).uppercased() + name.dropFirst()).swift")
        let text = try? String(contentsOf: file, encoding: .utf8)
        #expect(text?.contains("name: \"\(name)\"") == true, "\(name): no \(file.path) declaring it")
    }
}

@Test func emptyDataIsRefusedWhereItWouldBreakACommand() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mle-empty-\(UUID().uuidString).csv").path
    defer { try? FileManager.default.removeItem(atPath: file) }
    try "x,y\n".write(toFile: file, atomically: true, encoding: .utf8)
    let (s, out, _) = run(
        """
        d = load "\(file)" target=y
        iris = load "\(dataPath("iris.csv"))" target=species
        none = filter iris "sepal_length > 100"
        imbalance compare none iris model=logistic
        after = 1
        """, keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:1:10: error: '\(file)' has a header but no data rows",
            "t.mle:4:19: error: 'none' has no rows; imbalance needs data (describe shows what it holds)"
        ])
    #expect(s.variables["d"] == nil && s.variables["after"] != nil)
}

@Test func onlyRegularFilesAreRead() throws {
    let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("mle-fifo-\(UUID().uuidString)").path
    #expect(mkfifo(fifo, 0o600) == 0)
    defer { try? FileManager.default.removeItem(atPath: fifo) }
    // A FIFO with no writer would block the open forever; a device never ends.
    // The same for a FIFO named as a database (SQLite would block too) and for Tab's look at a header.
    let db = fifo + ".db"
    #expect(mkfifo(db, 0o600) == 0)
    defer { try? FileManager.default.removeItem(atPath: db) }
    let (session, out, _) = run(
        "a = load \"\(fifo)\"\nb = load \"/dev/zero\"\nd = load \"\(db)\" table=t\nc = 1", keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:1:10: error: \(fifo): cannot open: it is not a regular file",
            "t.mle:2:10: error: /dev/zero: cannot open: it is not a regular file",
            "t.mle:3:10: error: \(db): cannot open: it is not a regular file"
        ])
    #expect(Completer(session: session).complete("x = load \"\(fifo)\" target=").candidates.isEmpty)
}

@Test func writingAFileKeepsItsPermissions() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mle-perm-\(UUID().uuidString).csv").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    let (_, _, ok) = run("d = load \"\(dataPath("iris.csv"))\" target=species\nsave d \"\(path)\"")
    #expect(ok)
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
    #expect(mode?.intValue == 0o600)
    #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("sepal_length"))
}

@Test func toWritesOnlyCSVFiles() {
    let (_, out, _) = run(
        """
        d = load "\(dataPath("iris.csv"))" target=species
        net = mlp d hidden=[4] epochs=2 seed=1
        predict net d to="/tmp/.profile"
        coverage net d search to="x.sh"
        """, keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:3:18: error: to= writes a CSV file; its name should end in .csv",
            "t.mle:4:26: error: to= writes a CSV file; its name should end in .csv"
        ])
}

@Test func aFailedSourceKeepsWhatItsScriptDrew() throws {
    let inner = FileManager.default.temporaryDirectory.appendingPathComponent("mle-src-\(UUID().uuidString).mle").path
    defer { try? FileManager.default.removeItem(atPath: inner) }
    try "a, b = split data ratio=0.5\nbad = nosuch\n".write(toFile: inner, atomically: true, encoding: .utf8)
    let (s, out, _) = run(
        """
        data = load "\(dataPath("iris.csv"))" target=species
        source "\(inner)"
        c, d = split data ratio=0.5
        """, keepGoing: true)
    #expect(out.errors.count == 2)
    // The sourced split drew seed 0 and keeps it; the split after the failure draws seed 1.
    guard case .dataset(let a)? = s.variables["a"], case .dataset(let c)? = s.variables["c"] else {
        Issue.record("a and c expected"); return
    }
    #expect(a.features != c.features && s.seed == 2)
}

@Test func keepGoingReportsEachErrorAfterAnUnclosedBracket() {
    let text = "a = [1, 2\nb = 2\nc = (3\nd = 4\nnet = mlp nosuch\ne = 5\nf = [1,\n  2]\n"
    let (s, out, ok) = run(text, keepGoing: true)
    #expect(!ok)
    #expect(
        out.errors == [
            "t.mle:2:1: error: expected ',' or ']' in the list, found 'b'",
            "t.mle:4:1: error: expected ')', found 'd'",
            "t.mle:5:11: error: unknown variable 'nosuch'"
        ])
    // Every statement that is whole runs; a list continued after a comma is still one statement.
    for name in ["b", "d", "e", "f"] { #expect(s.variables[name] != nil, "\(name) did not run") }
    #expect(s.variables["a"] == nil && s.variables["c"] == nil)
}

@Test func messagesEscapeControlCharactersAndCutLongNames() {
    let (_, out, _) = run(
        "x = 1\ny = \u{0} 2\nz = nosuch\u{1B}[31m\nw = " + String(repeating: "a", count: 100_000), keepGoing: true)
    #expect(
        out.errors.prefix(2) == [
            "t.mle:2:5: error: unexpected character U+0000", "t.mle:3:11: error: unexpected character U+001B"
        ])
    let long = out.errors.last ?? ""
    #expect(long.count < 300 && long.contains("…(99902 more characters)…"), "\(long.prefix(300))")
    #expect(MLEError.printable("a\u{7}b") == "a\\u{7}b")
}

@Test func recoveryAfterAnUnclosedBracketCountsCRLFLinesAsTheLexerDoes() {
    // Found by fuzzing: lexing again from a line found by searching Characters for "\n" missed
    // "\r\n" (one Character) and lexed the same line again, without end.
    let (s, out, _) = run("x = [1\r\ny = 2\r\nz = (3\r\nw = 4\r\n", keepGoing: true)
    #expect(out.errors.count == 2, "\(out.errors)")
    #expect(s.variables["y"] != nil && s.variables["w"] != nil)
}

@Test func recoveryGivesUpAfterAHundredUnclosedBracketsAndSaysSo() {
    // Each recovery lexes the rest of the text again; a cap keeps a pathological script from
    // taking quadratic time, and the last error says the rest was not read.
    let (_, out, ok) = run(String(repeating: "x = [\n", count: 150) + "y = 1\n", keepGoing: true)
    #expect(!ok)
    #expect(out.errors.count == 102)  // 101 errors, then the one saying the rest is not read
    #expect(
        out.errors.last?.hasSuffix("after 100 errors inside unclosed brackets, the rest of the text is not read")
            == true)
}

@Test func renderingMillionsOfRowsAsJSONOrCSVHearsCtrlC() throws {
    let t = Table(key: "r", columns: [Table.Column("i")], rows: (0..<5000).map { [.count($0)] })
    let r = Report(kind: "k", title: "", tables: [t])
    #expect(throws: Cancelled.self) { try r.render(.json, cancellation: Cancellation { true }) }
    #expect(throws: Cancelled.self) { try r.render(.csv, cancellation: Cancellation { true }) }
    // Heard within 1,024 rows, not only before the first.
    #expect(throws: Cancelled.self) { try r.render(.csv, cancellation: Tripwire(passes: 2).cancellation) }
    #expect(try r.render(.csv, cancellation: .never) == r.render(.csv))
    #expect(try r.render(.json, cancellation: .never) == r.render(.json))
    #expect(r.render(.csv).split(separator: "\n").count == 5001)
}

/// Shell conveniences: `?cmd` is `help cmd` at the start of a statement (elsewhere `?` is still an
/// error); `ans` is the last result, shown or assigned; `delete` forgets a variable and says so
/// when there is none.
@Test func questionMarkAnsAndDelete() throws {
    let (session, out, ok) = run(
        """
        ?split
        d = load "\(dataPath("iris.csv"))" target=species
        n = ans
        describe d
        r = ans
        delete d
        """)
    #expect(ok, "\(out.errors)")
    #expect(out.results.first?.hasPrefix("split — Split a dataset") == true, "\(out.results.first ?? "")")
    guard case .dataset(let n)? = session.variables["n"] else { Issue.record("ans was not the dataset"); return }
    #expect(n.rowCount == 150)
    guard case .report(let r)? = session.variables["r"] else { Issue.record("ans was not the report"); return }
    #expect(r.kind == "describe")
    #expect(session.variables["d"] == nil)
    #expect(out.notes.contains("deleted d"))
    let (_, bad, fine) = run("delete d", in: session)
    #expect(!fine && bad.errors.joined().contains("no variable named 'd'"), "\(bad.errors)")
    let (_, bad2, fine2) = run("x = ?", in: session)
    #expect(!fine2 && bad2.errors.joined().contains("unexpected character '?'"), "\(bad2.errors)")
    #expect(session.variables["x"] == nil)
}

/// `show` reports the settings `set` changed, for people and machines.
@Test func showReportsTheSettings() throws {
    let (_, out, ok) = run(
        """
        set seed 7
        set timer on
        set format json
        show
        """)
    #expect(ok, "\(out.errors)")
    let r = try #require(try out.results.filter { $0.hasPrefix("{") }.map { try jsonReport($0) }.last)
    #expect(r["seed"] as? Int == 7 && r["timer"] as? String == "on" && r["format"] as? String == "json")
    #expect(r["version"] as? String == MLEVersion.number)
}
