import Foundation
import MLELearning

/// Tab completion from the command registry and the session: command names at the start of a
/// statement; after a command, the variables whose type fits the next argument and the options;
/// after `option=`, its choices, the column names or class names of the data the statement is
/// about, or the variables of the option's type; file paths inside a string.
public struct Completer {
    public let session: Session
    public init(session: Session) { self.session = session }

    /// What to do for the text before the cursor.
    public struct Result: Equatable {
        /// Text to insert at the cursor (the part every candidate shares).
        public var insert: String
        /// Candidates to list when more than one remains.
        public var candidates: [String]
        public init(insert: String, candidates: [String]) { self.insert = insert; self.candidates = candidates }
    }

    public func complete(_ before: String) -> Result {
        // Inside a string (an odd number of unescaped quotes): complete a file path.
        let quotes = before.reduce(into: (count: 0, escaped: false)) { s, c in
            if s.escaped { s.escaped = false } else if c == "\\" { s.escaped = true } else if c == "\"" { s.count += 1 }
        }.count
        if quotes % 2 == 1, let q = before.lastIndex(of: "\"") {
            return completePath(String(before[before.index(after: q)...]))
        }
        let wordChars = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_"))
        var word = ""
        for ch in before.unicodeScalars.reversed() {
            if wordChars.contains(ch) {
                word.unicodeScalars.insert(ch, at: word.unicodeScalars.startIndex)
            } else {
                break
            }
        }
        let head = String(before.dropLast(word.count))
        let statement = currentStatement(head)
        var tokens = statement.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // Drop an assignment's left side: `net = mlp ...` completes like `mlp ...`.
        if let eq = tokens.firstIndex(of: "="), eq > 0,
            !tokens[..<eq].contains(where: { $0.contains("=") && $0 != "=" })
        {
            tokens = Array(tokens[(eq + 1)...])
        }
        let variables = session.variables.keys.sorted()
        var candidates: [String]
        if tokens.isEmpty || (tokens.count == 1 && tokens[0].hasSuffix(",")) || tokens.last == "{" {
            candidates = session.registry.names + variables + ["for"]
        } else if let spec = session.registry[tokens[0]], let option = optionBeingWritten(head) {
            candidates = values(of: option, in: spec, tokens: tokens)
        } else if let spec = session.registry[tokens[0]] {
            let given = Set(tokens.dropFirst().compactMap { $0.split(separator: "=").first.map(String.init) })
            let options = spec.options.filter { !given.contains($0.name) }.map { o -> String in
                if case .bool = o.type { return o.name }
                return o.name + "="
            }
            if tokens[0] == "help" {
                candidates = session.registry.names + HelpTopic.allCases.map(\.rawValue)
            } else if tokens[0] == "set" {
                // The settings from the command's spec, then the values of the one named.
                if tokens.count == 1, case .choice(let c)? = spec.positionals.first?.type {
                    candidates = c
                } else {
                    candidates = tokens.count == 2 ? SessionCommands.settingValues[tokens[1]] ?? [] : []
                }
            } else if tokens.count == 1, case .choice(let c)? = spec.positionals.first?.type {
                candidates = c
            }  // `imbalance compare`
            else {
                // The next positional argument takes only variables of its type; once they are
                // all written, options remain.
                let written = tokens.dropFirst().filter { !$0.contains("=") }.count
                let next = spec.positionals[safe: written]
                candidates = (next.map { fitting($0.type) } ?? []) + options
            }
        } else {
            candidates = variables
        }
        let matches = Array(Set(candidates.filter { $0.hasPrefix(word) })).sorted()
        return finish(word: word, matches: matches, suffix: { $0.hasSuffix("=") ? "" : " " })
    }

    /// Option names whose values are columns of the statement's data, and class names.
    public static let columnOptions: Set<String> = [
        "target", "by", "categorical", "numeric", "bin_columns", "columns", "group", "id", "outcome"
    ]
    public static let classOptions: Set<String> = ["positive", "class", "keep", "classes"]

    /// The option whose value the cursor is in: `name=` just typed, or inside its list
    /// (`categorical=[island, s`).
    func optionBeingWritten(_ head: String) -> String? {
        func name(before end: String.Index) -> String {
            String(head[..<end].reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
        }
        // Inside an open list: the option before its bracket.
        var depth = 0
        var k = head.endIndex
        while k > head.startIndex {
            k = head.index(before: k)
            if head[k] == "]" { depth += 1 }
            if head[k] == "[" {
                if depth == 0 {
                    guard k > head.startIndex, head[head.index(before: k)] == "=" else { return nil }
                    return name(before: head.index(before: k))
                }
                depth -= 1
            }
        }
        guard head.hasSuffix("=") else { return nil }
        return name(before: head.index(before: head.endIndex))
    }

    /// The variables whose values an argument of `type` takes.
    func fitting(_ type: ArgType) -> [String] {
        session.variables.filter { _, v in
            switch (type, v) {
            case (.dataset, .dataset), (.model, .model), (.modelOrDataset, .dataset), (.modelOrDataset, .model):
                return true
            case (.number, .number), (.integer, .number), (.bool, .bool): return true
            case (.string, .string), (.string, .symbol), (.word, _), (.path, .string): return true
            case (.list, .list): return true
            case (.list(let inner), _): return fittingOne(inner, v)
            case (.choice, .symbol), (.choice, .string): return true
            default: return false
            }
        }.keys.sorted()
    }

    private func fittingOne(_ type: ArgType, _ v: Value) -> Bool {
        switch (type, v) {
        case (.dataset, .dataset), (.model, .model), (.number, .number), (.integer, .number): return true
        case (.string, .string), (.string, .symbol): return true
        default: return false
        }
    }

    /// What may follow `option=` in a statement of `spec`.
    func values(of option: String, in spec: CommandSpec, tokens: [String]) -> [String] {
        let type = spec.option(option)?.type
        if case .choice(let c)? = type { return c }
        if case .bool? = type { return ["true", "false"] }
        if Completer.columnOptions.contains(option) {
            if spec.name == "load", let file = tokens.dropFirst().first(where: { $0.hasPrefix("\"") }) {
                return Completer.header(of: String(file.dropFirst().prefix { $0 != "\"" }))
            }
            if let d = subjects(tokens, spec).dataset {
                return d.featureNames + (d.targetName.map { [$0] } ?? [])
            }
        }
        if Completer.classOptions.contains(option) {
            let (dataset, model) = subjects(tokens, spec)
            if let names = dataset?.task?.classNames ?? model?.model.task.classNames, !names.isEmpty { return names }
        }
        return type.map(fitting) ?? session.variables.keys.sorted()
    }

    /// The first dataset and the first model among the statement's arguments.
    func subjects(_ tokens: [String], _ spec: CommandSpec) -> (dataset: Dataset?, model: ModelValue?) {
        var dataset: Dataset?, model: ModelValue?
        for t in tokens.dropFirst() {
            let name = t.split(separator: "=").last.map(String.init) ?? t
            switch session.variables[name] {
            case .dataset(let d)?: if dataset == nil { dataset = d }
            case .model(let m)?: if model == nil { model = m }
            default: break
            }
        }
        return (dataset, model)
    }

    /// The column names in the header of a delimited text file (empty when it cannot be read).
    static func header(of path: String) -> [String] {
        let head = DataSource.head(of: NSString(string: path).expandingTildeInPath, count: 1 << 14)
        guard !DataSource.isGzip(head.bytes), !DataSource.isSQLite(head.bytes) else { return [] }
        let separator = Character(Unicode.Scalar(DataSource.sniff(head.bytes, whole: head.whole)))
        let line = String(decoding: head.bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        return line.split(separator: separator).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\""))
        }.filter { !$0.isEmpty }
    }

    /// The text of the statement the cursor is in (after the last `;`, `{` or newline).
    private func currentStatement(_ head: String) -> String {
        var s = head
        if let cut = s.lastIndex(where: { $0 == ";" || $0 == "\n" }) { s = String(s[s.index(after: cut)...]) }
        if let brace = s.lastIndex(of: "{") { s = String(s[s.index(after: brace)...]) }
        return s
    }

    private func finish(word: String, matches: [String], suffix: (String) -> String) -> Result {
        guard let first = matches.first else { return Result(insert: "", candidates: []) }
        if matches.count == 1 {
            return Result(insert: String(first.dropFirst(word.count)) + suffix(first), candidates: [])
        }
        var common = first
        for m in matches.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        return Result(insert: String(common.dropFirst(word.count)), candidates: matches)
    }

    private func completePath(_ partial: String) -> Result {
        let fm = FileManager.default
        let (dir, prefix): (String, String)
        if let slash = partial.lastIndex(of: "/") {
            dir = String(partial[...slash]); prefix = String(partial[partial.index(after: slash)...])
        } else {
            dir = ""; prefix = partial
        }
        let expanded = dir.hasPrefix("~") ? NSString(string: dir).expandingTildeInPath + "/" : dir
        guard let entries = try? fm.contentsOfDirectory(atPath: expanded.isEmpty ? "." : expanded) else {
            return Result(insert: "", candidates: [])
        }
        let matches = entries.filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted()
            .map { name -> String in
                var isDir: ObjCBool = false
                _ = fm.fileExists(atPath: expanded + name, isDirectory: &isDir)
                return isDir.boolValue ? name + "/" : name
            }
        return finish(word: prefix, matches: matches, suffix: { $0.hasSuffix("/") ? "" : "\"" })
    }
}
