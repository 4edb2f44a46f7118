/// A token of the command language.
public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case number(Double)
    case string(String)
    case equals, comma, leftBracket, rightBracket, leftBrace, rightBrace, leftParen, rightParen
    /// Ends a statement: a line end outside brackets, or `;`.
    case newline
    case end
    /// A lexical error, reported when the parser reaches it.
    case error(String)
}

public struct Token: Equatable, Sendable {
    public var kind: TokenKind
    public var location: SourceLocation
}

/// Turns source text into tokens. `#` starts a comment; a line ending in `\` continues on the
/// next; line ends inside `(` or `[` are not statement ends (inside `{` they are: a loop body
/// holds statements).
public struct Lexer {
    private let scalars: [Unicode.Scalar]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1
    private var brackets: [Unicode.Scalar] = []

    /// - Parameter firstLine: the line number of the text's first line (the shell counts lines
    ///   across a whole session).
    public init(_ text: String, file: String, firstLine: Int = 1) {
        scalars = Array(text.unicodeScalars)
        self.file = file
        line = firstLine
    }

    /// True when the text ends inside an open bracket or brace, or with a `\` continuation:
    /// the shell then asks for another line.
    public static func needsContinuation(_ text: String) -> Bool {
        var lexer = Lexer(text, file: "")
        while true {
            let t = lexer.next()
            if case .end = t.kind { break }
            // An unterminated string is an error to report, not a reason to wait for more.
            if case .error(let m) = t.kind, m.hasPrefix("unterminated string") { return false }
        }
        if !lexer.brackets.isEmpty { return true }
        // A trailing backslash (ignoring trailing blanks) asks for more.
        let trimmed = text.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return trimmed.first == "\\"
    }

    /// A statement typed over several lines as one line that means the same, for the history
    /// (↑ recalls the whole statement): a line break inside `(` or `[`, or after a `\\`, becomes a
    /// space; one between statements (a loop body's) becomes `; `; comments are left out.
    public static func oneLine(_ text: String) -> String {
        guard text.contains("\n") else { return text }
        var out = ""
        var stack: [Character] = []
        var inString = false, escaped = false, inComment = false, lineStart = false
        for ch in text {
            if inComment {
                if ch == "\n" { inComment = false } else { continue }
            }
            // The next line's indentation goes: the join already put one blank.
            if lineStart, !inString, ch == " " || ch == "\t" { continue }
            lineStart = false
            if inString {
                out.append(ch)
                if escaped {
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    inString = false
                }
                continue
            }
            switch ch {
            case "\"": inString = true; out.append(ch)
            case "#": inComment = true
            case "(", "[", "{": stack.append(ch); out.append(ch)
            case ")", "]", "}": if !stack.isEmpty { stack.removeLast() }; out.append(ch)
            case "\n", "\r":
                while out.last == " " || out.last == "\t" { out.removeLast() }
                if out.last == "\\" {
                    out.removeLast()
                    while out.last == " " || out.last == "\t" { out.removeLast() }
                    out.append(" ")
                } else if let open = stack.last, open != "{" {
                    out.append(" ")
                } else if let last = out.last, last != "{", last != ";", last != " " {
                    out.append("; ")
                } else if out.last != " " {
                    out.append(" ")
                }
                lineStart = true
            default: out.append(ch)
            }
        }
        while out.last == " " || out.last == ";" { out.removeLast() }
        return out
    }

    /// All tokens, ending with `.end`.
    public mutating func tokenize() -> [Token] {
        var out: [Token] = []
        while true {
            let t = next()
            out.append(t)
            if t.kind == .end { return out }
        }
    }

    private var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }
    private func peek(_ k: Int = 0) -> Unicode.Scalar? { index + k < scalars.count ? scalars[index + k] : nil }

    private mutating func advance() {
        guard let c = peek() else { return }
        index += 1
        if c == "\n" { line += 1; column = 1 } else { column += 1 }
    }

    /// Whether the next token starts a statement (`?` there stands for `help`).
    private var atStatementStart = true

    public mutating func next() -> Token {
        let token = scan()
        atStatementStart = token.kind == .newline
        return token
    }

    private mutating func scan() -> Token {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\r" || c == "\u{FEFF}" { advance(); continue }
            if c == "#" { while let d = peek(), d != "\n" { advance() }; continue }
            if c == "\\" {
                // Continuation: a backslash, optional blanks or a comment, then the line end.
                var k = 1
                while let d = peek(k), d == " " || d == "\t" || d == "\r" { k += 1 }
                if peek(k) == nil || peek(k) == "\n" || peek(k) == "#" {
                    for _ in 0..<k { advance() }
                    while let d = peek(), d != "\n" { advance() }
                    advance()
                    continue
                }
                let loc = here
                advance()
                return Token(kind: .error("unexpected '\\' (a line continuation must end the line)"), location: loc)
            }
            if c == "\n" {
                let loc = here
                advance()
                if let top = brackets.last, top == "[" || top == "(" { continue }
                return Token(kind: .newline, location: loc)
            }
            break
        }
        let loc = here
        guard let c = peek() else {
            return Token(kind: .end, location: loc)
        }
        switch c {
        case "=": advance(); return Token(kind: .equals, location: loc)
        case ",": advance(); return Token(kind: .comma, location: loc)
        case ";": advance(); return Token(kind: .newline, location: loc)
        case "[", "(", "{":
            advance(); brackets.append(c)
            return Token(kind: c == "[" ? .leftBracket : c == "(" ? .leftParen : .leftBrace, location: loc)
        case "]", ")", "}":
            advance()
            let open: Unicode.Scalar = c == "]" ? "[" : c == ")" ? "(" : "{"
            if brackets.last == open {
                brackets.removeLast()
            } else {
                return Token(kind: .error("unmatched '\(c)'"), location: loc)
            }
            return Token(kind: c == "]" ? .rightBracket : c == ")" ? .rightParen : .rightBrace, location: loc)
        case "\"":
            return lexString(loc)
        case "?" where atStatementStart:
            // `?mlp` is `help mlp`, as in IPython and Julia.
            advance()
            return Token(kind: .identifier("help"), location: loc)
        default:
            if isIdentifierStart(c) {
                var s = String.UnicodeScalarView()
                while let d = peek(), isIdentifierStart(d) || isDigit(d) { s.append(d); advance() }
                return Token(kind: .identifier(String(s)), location: loc)
            }
            if isDigit(c) || ((c == "-" || c == "+" || c == ".") && (peek(1).map { isDigit($0) || $0 == "." } ?? false))
            {
                return lexNumber(loc)
            }
            advance()
            let shown =
                c.properties.generalCategory == .control || c.properties.isWhitespace
                ? "U+\(String(c.value, radix: 16, uppercase: true).leftPadded(to: 4))" : "'\(c)'"
            return Token(kind: .error("unexpected character \(shown)"), location: loc)
        }
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }
    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private mutating func lexNumber(_ loc: SourceLocation) -> Token {
        var s = String.UnicodeScalarView()
        if let c = peek(), c == "-" || c == "+" { s.append(c); advance() }
        while let c = peek(), isDigit(c) || c == "." { s.append(c); advance() }
        if let e = peek(), e == "e" || e == "E",
            let n = peek(1), isDigit(n) || ((n == "-" || n == "+") && (peek(2).map(isDigit) ?? false))
        {
            s.append(e); advance()
            s.append(n); advance()
            while let c = peek(), isDigit(c) { s.append(c); advance() }
        }
        let text = String(s)
        if let c = peek(), isIdentifierStart(c) {
            while let d = peek(), isIdentifierStart(d) || isDigit(d) { advance() }
            return Token(
                kind: .error("'\(text)' must be followed by a space or punctuation, not letters"), location: loc)
        }
        guard let v = Double(text) else {
            return Token(kind: .error("'\(text)' is not a number"), location: loc)
        }
        // 1e999 would silently become infinity.
        guard v.isFinite else {
            return Token(kind: .error("'\(text)' is too large for a number (at most about 1.8e308)"), location: loc)
        }
        return Token(kind: .number(v), location: loc)
    }

    private mutating func lexString(_ loc: SourceLocation) -> Token {
        advance()
        var s = String.UnicodeScalarView()
        while let c = peek() {
            if c == "\"" { advance(); return Token(kind: .string(String(s)), location: loc) }
            if c == "\n" { break }
            if c == "\\" {
                let escLoc = here
                advance()
                guard let e = peek(), e != "\n" else { break }
                advance()
                switch e {
                case "\"": s.append("\"")
                case "\\": s.append("\\")
                case "n": s.append("\n")
                case "t": s.append("\t")
                default:
                    return Token(
                        kind: .error("unknown escape '\\\(e)' in a string (use \\\" \\\\ \\n or \\t)"), location: escLoc
                    )
                }
                continue
            }
            s.append(c)
            advance()
        }
        return Token(kind: .error("unterminated string: add the closing \""), location: loc)
    }
}

extension String {
    /// The string with zeros before it up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
