import Foundation

/// Tab completion from the command registry and the session: command names at the start of a
/// statement, option names and variables after a command, choices after `option=`, and file
/// paths inside a string.
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
        } else if head.hasSuffix("="), let spec = session.registry[tokens[0]] {
            let option = String(tokens.last?.dropLast() ?? "").split(separator: "=").last.map(String.init) ?? ""
            switch spec.option(option)?.type {
            case .choice(let c)?: candidates = c
            case .bool?: candidates = ["true", "false"]
            default: candidates = variables
            }
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
                candidates = variables + options
            }
        } else {
            candidates = variables
        }
        let matches = Array(Set(candidates.filter { $0.hasPrefix(word) })).sorted()
        return finish(word: word, matches: matches, suffix: { $0.hasSuffix("=") ? "" : " " })
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
