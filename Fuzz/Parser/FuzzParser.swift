import FuzzParserShim
import MLELanguage

/// libFuzzer target: the lexer and parser on any bytes, recovering after each error as
/// `--keep-going` does, so that every statement of the input is parsed. A crash, a hang or a
/// stack overflow is a finding; errors are expected.
@_cdecl("mle_fuzz_one")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var parser = Parser(text, file: "fuzz.mle")
    var statements = 0
    while statements < 100_000 {
        do {
            guard try parser.nextStatement() != nil else { break }
        } catch let e as MLEError {
            _ = e.rendered
            parser.skipStatement()
        } catch {
            fatalError("the parser threw something other than MLEError: \(error)")
        }
        statements += 1
    }
    return 0
}
