import Foundation
import MLETensor

/// A JSON value with object keys kept in insertion order, so output is stable and readable.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

    /// A number, or null when it is not finite (JSON has no NaN or infinity).
    public static func num(_ v: Double?) -> JSON {
        guard let v, v.isFinite else { return .null }
        return .number(v)
    }

    /// Compact one-line text.
    public func serialized() -> String { (try? serialized(cancellation: .never)) ?? "" }  // .never: it cannot throw

    /// `serialized()`, hearing Ctrl-C every 1,024 elements of an array.
    public func serialized(cancellation: Cancellation) throws -> String {
        var out = ""
        try write(to: &out, cancellation)
        return out
    }

    private func write(to out: inout String, _ cancellation: Cancellation) throws {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let v):
            if v == v.rounded(), abs(v) < 1e15 { out += String(Int64(v)) } else { out += "\(v)" }
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i & 1023 == 1023, cancellation.isCancelled { throw Cancelled() }
                if i > 0 { out += "," }
                try e.write(to: &out, cancellation)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSON.quote(k, into: &out); out += ":"; try v.write(to: &out, cancellation)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}
