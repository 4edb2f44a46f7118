import MLELanguage
import MLETestSupport
import Testing

func kinds(_ text: String) -> [TokenKind] {
    var l = Lexer(text, file: "t")
    return l.tokenize().map(\.kind)
}

@Test func lexerReadsNumbersStringsListsAndComments() {
    #expect(
        kinds("mlp train hidden=[16, 8] lr=1e-3 x=-2 y=0.8 # comment") == [
            .identifier("mlp"), .identifier("train"), .identifier("hidden"), .equals, .leftBracket, .number(16), .comma,
            .number(8), .rightBracket, .identifier("lr"), .equals, .number(0.001), .identifier("x"), .equals,
            .number(-2),
            .identifier("y"), .equals, .number(0.8), .end
        ])
    #expect(kinds(#"load "a \"b\" \\ c\n""#) == [.identifier("load"), .string("a \"b\" \\ c\n"), .end])
}

@Test func lexerJoinsLinesInsideBracketsAndAfterBackslash() {
    #expect(
        kinds("a [1,\n 2]\nb") == [
            .identifier("a"), .leftBracket, .number(1), .comma, .number(2), .rightBracket,
            .newline, .identifier("b"), .end
        ])
    #expect(kinds("a \\\n  b") == [.identifier("a"), .identifier("b"), .end])
    #expect(Lexer.needsContinuation("net = mlp train hidden=[32,"))
    #expect(Lexer.needsContinuation("for d in [1] {"))
    #expect(Lexer.needsContinuation("evaluate net \\"))
    #expect(!Lexer.needsContinuation("evaluate net test"))
    #expect(!Lexer.needsContinuation("load \"unterminated"))
}

@Test func lexerReportsBadInputAsErrorTokens() {
    var l = Lexer("x = \"open\ny = 3abc\nz = @", file: "f.mle")
    let toks = l.tokenize()
    let errors = toks.compactMap { t -> String? in
        if case .error(let m) = t.kind { return "\(t.location) \(m)" } else { return nil }
    }
    #expect(
        errors == [
            "f.mle:1:5 unterminated string: add the closing \"",
            "f.mle:2:5 '3' must be followed by a space or punctuation, not letters",
            "f.mle:3:5 unexpected character '@'"
        ])
}

@Test func parserBuildsCallsAssignmentsAndLoops() throws {
    let s = try Parser.parseAll(
        """
        train, test = split data ratio=0.8 stratify
        x = [0.1, [1, 2]]
        for d in [1, 2] {
          evaluate net d
        }
        """, file: "p.mle")
    #expect(s.count == 3)
    guard case .assign(let targets, _, .call(let call)) = s[0] else { Issue.record("assignment expected"); return }
    #expect(targets == ["train", "test"] && call.name == "split" && call.arguments.count == 3)
    #expect(call.arguments[1].label == "ratio" && call.arguments[2].label == nil)
    guard case .assign(_, _, .value(.list(let items, _))) = s[1] else { Issue.record("list expected"); return }
    #expect(items.count == 2)
    guard case .forLoop(let v, _, _, let body) = s[2] else { Issue.record("loop expected"); return }
    #expect(v == "d" && body.count == 1)
}

@Test func parserErrorsCarryPositions() {
    #expect(
        throws: MLEError(
            SourceLocation(file: "p.mle", line: 2, column: 11), "expected ',' or ']' in the list, found the number 2")
    ) {
        try Parser.parseAll("a = 1\nx = [1, 2 2]", file: "p.mle")
    }
    #expect(
        throws: MLEError(
            SourceLocation(file: "p.mle", line: 1, column: 1),
            "expected a command or a variable name, found the number 3")
    ) {
        try Parser.parseAll("3 + 4", file: "p.mle")
    }
    #expect(
        throws: MLEError(
            SourceLocation(file: "p.mle", line: 1, column: 12),
            "expected a value after 'epochs=', found the end of the input")
    ) {
        try Parser.parseAll("mlp epochs=", file: "p.mle")
    }
}

@Test func deepNestingIsAnErrorNotACrash() {
    // Deep enough to overflow a recursive parser's stack without the limit.
    let script = [
        "a = 1",
        "y = " + String(repeating: "[", count: 25_000) + String(repeating: "]", count: 25_000),
        "z = " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000),
        String(repeating: "for i in [1] { ", count: 10_000) + "b = 2" + String(repeating: " }", count: 10_000),
        "a = 3"
    ].joined(separator: "\n")
    let (s, out, ok) = run(script, keepGoing: true)
    #expect(!ok)
    let message = "lists, parentheses and loops nest at most 100 levels deep"
    #expect(
        out.errors == [
            "t.mle:2:105: error: \(message)", "t.mle:3:105: error: \(message)", "t.mle:4:1495: error: \(message)"
        ])
    // The statements around them ran; nothing half-parsed was bound.
    guard case .number(let a)? = s.variables["a"] else { Issue.record("a expected"); return }
    #expect(a == 3 && s.variables["y"] == nil && s.variables["z"] == nil && s.variables["b"] == nil)
    // A hundred levels are fine.
    let (_, _, ok100) = run("w = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
    #expect(ok100)
}

@Test func numberLiteralsOutOfRangeAreErrors() {
    let (s, out, _) = run("x = 1e999\ny = -2e400\nz = 1e308", keepGoing: true)
    #expect(
        out.errors == [
            "t.mle:1:5: error: '1e999' is too large for a number (at most about 1.8e308)",
            "t.mle:2:5: error: '-2e400' is too large for a number (at most about 1.8e308)"
        ])
    #expect(s.variables["x"] == nil && s.variables["y"] == nil && s.variables["z"] != nil)
}

@Test func multiLineStatementsBecomeOneHistoryLine() throws {
    #expect(Lexer.oneLine("x = 1") == "x = 1")
    #expect(Lexer.oneLine("net = mlp train \\\n    hidden=[32, 16]") == "net = mlp train hidden=[32, 16]")
    #expect(Lexer.oneLine("hs = [32,\n  16]") == "hs = [32, 16]")
    #expect(
        Lexer.oneLine("for d in [0.05, 0.1] {\n  # each radius\n  robust net test delta=d\n  x = \"a  # b\"\n}")
            == "for d in [0.05, 0.1] { robust net test delta=d; x = \"a  # b\"; }")
    // The joined line parses to the same statements as the lines.
    for text in [
        "for d in [0.05, 0.1] {\n  x = d\n  y = [d,\n 2]\n}", "net = mlp train \\\n hidden=[4]", "z = [1,\n\n2]"
    ] {
        var a = Parser(text, file: "t"), b = Parser(Lexer.oneLine(text), file: "t")
        var first: [String] = [], second: [String] = []
        // Statements compared without their positions (t:LINE:COL).
        func plain(_ s: Statement) -> String {
            "\(s)".replacingOccurrences(of: "t:[0-9]+:[0-9]+", with: "", options: .regularExpression)
        }
        while let s = try a.nextStatement() { first.append(plain(s)) }
        while let s = try b.nextStatement() { second.append(plain(s)) }
        #expect(first == second && !first.isEmpty, "\(text)\n\(first)\n\(second)")
    }
}
