/// Parses tokens into statements, one at a time, so a script runs up to its first error.
public struct Parser {
    private var tokens: [Token]
    private var position = 0
    /// Open lists, parentheses and loop bodies around the current token.
    private var depth = 0
    /// How deep lists, parentheses and `for` loops may nest: the parser, the interpreter and the
    /// values recurse once per level, so a limit keeps any input from exhausting the stack.
    public static let maximumDepth = 100

    /// The text and where it starts, to lex again from a line after an error (`skipStatement`).
    private let text: String
    /// The text's lines, for `lastStatementText`.
    private let lines: [Substring]
    private let file: String
    private let firstLine: Int
    /// Where the statement being parsed starts.
    private var statementStart = 0
    /// The last line of the statement before it (0 before the first).
    private var previousEndLine = 0
    /// Times the text was lexed again after an error, and where it stopped doing so: each time
    /// lexes the rest of the text, so a cap keeps a pathological script linear enough.
    private var relexes = 0
    private var gaveUpAt: SourceLocation?
    static let maximumRelexes = 100

    public init(_ text: String, file: String, firstLine: Int = 1) {
        var lexer = Lexer(text, file: file, firstLine: firstLine)
        tokens = lexer.tokenize()
        self.text = text; self.file = file; self.firstLine = firstLine
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    private var current: Token { tokens[min(position, tokens.count - 1)] }
    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    /// The next statement, or nil at the end of the input.
    /// - Throws: `MLEError` at the offending token. Call `skipStatement()` to go on after one.
    public mutating func nextStatement() throws -> Statement? {
        if let at = gaveUpAt {
            gaveUpAt = nil
            throw MLEError(
                at, "after \(Parser.maximumRelexes) errors inside unclosed brackets, the rest of the text is not read")
        }
        if position > 0 { previousEndLine = tokens[min(position - 1, tokens.count - 1)].location.line }
        while current.kind == .newline { advance() }
        if current.kind == .end { return nil }
        statementStart = position
        depth = 0
        let s = try statement()
        try endOfStatement()
        return s
    }

    /// The source lines of the statement `nextStatement` returned last, as written (for the
    /// session's transcript).
    public var lastStatementText: String {
        guard !tokens.isEmpty else { return "" }
        let first = tokens[min(statementStart, tokens.count - 1)].location.line
        let last = max(first, tokens[min(max(position - 1, statementStart), tokens.count - 1)].location.line)
        let from = max(first - firstLine, 0), to = min(last - firstLine, lines.count - 1)
        guard from <= to else { return "" }
        return lines[from...to].map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }.joined(separator: "\n")
    }

    /// The comment lines written just above that statement, after the one before it, without
    /// their `#` (the prose of a teaching script; `#!` lines are left out).
    public var lastStatementComment: String {
        guard !tokens.isEmpty else { return "" }
        let first = tokens[min(statementStart, tokens.count - 1)].location.line - firstLine
        var k = first - 1
        var comment: [Substring] = []
        while k >= 0, k > previousEndLine - firstLine, k < lines.count {
            let line = lines[k].drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("#!") || (!line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty) {
                break
            }
            if line.hasPrefix("#") { comment.append(line.dropFirst().drop { $0 == " " }) }
            k -= 1
        }
        return comment.reversed().joined(separator: "\n")
    }

    /// Skips to the start of the next statement (after an error).
    ///
    /// Inside an unclosed `[` or `(` the lexer joins lines, so one missing bracket would swallow
    /// the rest of the script. A line that the statement reached this way, and that starts after
    /// a complete value (not after a comma, an opening bracket or `=`), is taken as the next
    /// statement: the text is lexed again from there, so each later error is reported.
    public mutating func skipStatement() {
        // The error is on a later line than the statement's start, on a line that begins like an
        // assignment (`name =` or `a, b =`): the statement ran on (an unclosed bracket after a
        // comma) into the next one. Lex again from that line.
        // (Not at the end of the input: that is an unclosed loop body, whose lines are its body
        // and are not run outside it.)
        let errorLine = current.location.line
        if current.kind != .end, position < tokens.count,
            errorLine > tokens[min(statementStart, tokens.count - 1)].location.line
        {
            var k = position
            while k > statementStart, tokens[k - 1].location.line == errorLine { k -= 1 }
            if startsAssignment(at: k) {
                relex(fromLine: errorLine)
                return
            }
        }
        var depth = 0
        while current.kind != .end {
            if position > statementStart, position > 0 {
                let previous = tokens[position - 1]
                let joined = previous.location.line < current.location.line && previous.kind != .newline
                let continues: Bool
                switch previous.kind {
                case .comma, .leftBracket, .leftParen, .equals: continues = true
                default: continues = false
                }
                // A line that begins like an assignment starts a statement even after a comma
                // (`name =` never appears inside a list or parentheses).
                if joined, !continues || startsAssignment(at: position) {
                    relex(fromLine: current.location.line)
                    return
                }
            }
            switch current.kind {
            case .leftBrace: depth += 1
            case .rightBrace: depth -= 1
            case .newline where depth <= 0:
                advance(); return
            default: break
            }
            advance()
        }
    }

    /// Whether the tokens from `k` read `name =` or `a, b, … =`.
    private func startsAssignment(at k: Int) -> Bool {
        var i = k
        while i < tokens.count {
            guard case .identifier = tokens[i].kind, i + 1 < tokens.count else { return false }
            switch tokens[i + 1].kind {
            case .equals: return true
            case .comma: i += 2
            default: return false
            }
        }
        return false
    }

    /// Lexes the text again from the start of `line` (its first token starts the next statement).
    private mutating func relex(fromLine line: Int) {
        // Lines counted as the lexer counts them: by line-feed scalars (a "\r\n" is one
        // Character, so searching Characters for "\n" would miss it and lex a line again).
        var rest = Substring(text).unicodeScalars
        var at = firstLine
        while at < line, let newline = rest.firstIndex(of: "\n") {
            rest = rest[rest.index(after: newline)...]
            at += 1
        }
        // The line must be after the statement that failed: lexing it again must make progress.
        guard at > tokens[min(statementStart, tokens.count - 1)].location.line else {
            position = tokens.count - 1
            return
        }
        relexes += 1
        if relexes > Parser.maximumRelexes {
            gaveUpAt = current.location
            position = tokens.count - 1
            return
        }
        var lexer = Lexer(String(String.UnicodeScalarView(rest)), file: file, firstLine: at)
        tokens = lexer.tokenize()
        position = 0
        statementStart = 0
    }

    /// Parses a whole text; throws at the first error.
    public static func parseAll(_ text: String, file: String) throws -> [Statement] {
        var p = Parser(text, file: file)
        var out: [Statement] = []
        while let s = try p.nextStatement() { out.append(s) }
        return out
    }

    private mutating func endOfStatement() throws {
        switch current.kind {
        case .newline: advance()
        case .end, .rightBrace: break
        default: throw unexpected("the end of the statement")
        }
    }

    private func describe(_ k: TokenKind) -> String {
        switch k {
        case .identifier(let s): return "'\(s)'"
        case .number(let v): return "the number \(Self.format(v))"
        case .string: return "a string"
        case .equals: return "'='"
        case .comma: return "','"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .newline: return "the end of the line"
        case .end: return "the end of the input"
        case .error(let m): return m
        }
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    private func unexpected(_ expected: String) -> MLEError {
        if case .error(let m) = current.kind { return MLEError(current.location, m) }
        return MLEError(current.location, "expected \(expected), found \(describe(current.kind))")
    }

    private mutating func statement() throws -> Statement {
        guard case .identifier(let first) = current.kind else {
            throw unexpected("a command or a variable name")
        }
        let firstLoc = current.location
        if first == "for" {
            return try forLoop(firstLoc)
        }
        // Assignment: name (, name)* =
        let save = position
        var targets = [first]
        var locations = [firstLoc]
        advance()
        while current.kind == .comma {
            advance()
            guard case .identifier(let n) = current.kind else { position = save; break }
            targets.append(n); locations.append(current.location)
            advance()
        }
        if current.kind == .equals, position != save {
            advance()
            return .assign(targets: targets, locations: locations, value: try assigned())
        }
        position = save
        return .call(try call())
    }

    /// Enters one more level of nesting opened at `loc`.
    /// - Throws: `MLEError` at `loc` past `maximumDepth` levels.
    private mutating func enter(_ loc: SourceLocation) throws {
        guard depth < Parser.maximumDepth else {
            throw MLEError(loc, "lists, parentheses and loops nest at most \(Parser.maximumDepth) levels deep")
        }
        depth += 1
    }

    private mutating func forLoop(_ loc: SourceLocation) throws -> Statement {
        try enter(loc)
        defer { depth -= 1 }
        advance()
        guard case .identifier(let v) = current.kind else { throw unexpected("a loop variable after 'for'") }
        advance()
        guard current.kind == .identifier("in") else { throw unexpected("'in' after the loop variable") }
        advance()
        let list = try expression()
        guard current.kind == .leftBrace else { throw unexpected("'{' to start the loop body") }
        advance()
        var body: [Statement] = []
        while true {
            while current.kind == .newline { advance() }
            if current.kind == .rightBrace { advance(); break }
            if current.kind == .end { throw MLEError(loc, "this 'for' loop's '{' is never closed with '}'") }
            body.append(try statement())
            try endOfStatement()
        }
        return .forLoop(variable: v, location: loc, list: list, body: body)
    }

    private mutating func assigned() throws -> Assigned {
        if case .identifier = current.kind { return .call(try call()) }
        return .value(try expression())
    }

    private mutating func call() throws -> Call {
        guard case .identifier(let name) = current.kind else { throw unexpected("a command") }
        let loc = current.location
        advance()
        var args: [Argument] = []
        while true {
            switch current.kind {
            case .newline, .end, .rightBrace:
                return Call(name: name, location: loc, arguments: args)
            case .identifier(let label) where tokens[min(position + 1, tokens.count - 1)].kind == .equals:
                let labelLoc = current.location
                advance(); advance()
                if [.newline, .end, .rightBrace].contains(current.kind) {
                    throw unexpected("a value after '\(label)='")
                }
                args.append(Argument(label: label, labelLocation: labelLoc, value: try expression()))
            default:
                args.append(Argument(label: nil, labelLocation: nil, value: try expression()))
            }
        }
    }

    private mutating func expression() throws -> Expr {
        let loc = current.location
        switch current.kind {
        case .number(let v): advance(); return .number(v, loc)
        case .string(let s): advance(); return .string(s, loc)
        case .identifier(let n): advance(); return .name(n, loc)
        case .leftParen:
            try enter(loc)
            defer { depth -= 1 }
            advance()
            let e = try expression()
            guard current.kind == .rightParen else { throw unexpected("')'") }
            advance()
            return e
        case .leftBracket:
            try enter(loc)
            defer { depth -= 1 }
            advance()
            var items: [Expr] = []
            if current.kind == .rightBracket { advance(); return .list([], loc) }
            while true {
                items.append(try expression())
                if current.kind == .comma { advance(); continue }
                if current.kind == .rightBracket { advance(); return .list(items, loc) }
                throw unexpected("',' or ']' in the list")
            }
        default:
            throw unexpected("a value")
        }
    }
}
