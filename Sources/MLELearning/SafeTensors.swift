import Foundation

/// The safetensors container (Hugging Face): an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, and the raw little-endian data.
/// Written by hand: the format is a page long and no Swift package for it is available offline.
public struct SafeTensors: Sendable {
    public struct Tensor: Equatable, Sendable {
        public var shape: [Int]
        /// Values in row-major order, converted to Float from the file's dtype.
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors; self.metadata = metadata
    }

    /// Reads a file; every malformed part is a `LearningError.invalid` naming it.
    public static func read(path: String) throws -> SafeTensors {
        // Only regular files: a FIFO would block, a device never end.
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            throw LearningError.invalid("cannot read '\(path)': it is not a regular file")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LearningError.invalid("cannot read '\(path)': \((error as NSError).localizedDescription)")
        }
        return try parse(data, name: path)
    }

    public static func parse(_ data: Data, name: String = "the file") throws -> SafeTensors {
        let bytes = [UInt8](data)
        func bad(_ why: String) -> LearningError { .invalid("\(name) is not a valid safetensors file: \(why)") }
        guard bytes.count >= 8 else { throw bad("it is shorter than its 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8), length <= 100_000_000 else {
            throw bad("the header length \(length) exceeds the file")
        }
        let headerEnd = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let body = headerEnd
        var result = SafeTensors()
        var spans: [(Int, Int, String)] = []
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw bad("metadata value of '\(k)' is not a string") }
                    result.metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shapeList = entry["shape"] as? [Any], let offsetList = entry["data_offsets"] as? [Any]
            else {
                throw bad("tensor '\(key)' lacks a dtype, shape or data_offsets")
            }
            guard let shape = wholeNumbers(shapeList) else {
                throw bad("tensor '\(key)' has a shape that is not a list of whole numbers")
            }
            guard let offsets = wholeNumbers(offsetList), offsets.count == 2 else {
                throw bad("tensor '\(key)' has data_offsets that are not two whole numbers [begin, end]")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
                throw bad("tensor '\(key)' has a negative or huge dimension")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            let size: Int
            switch dtype {
            case "F64": size = 8
            case "F32": size = 4
            case "F16", "BF16", "I16": size = 2
            // Integer tensors (a BatchNorm's num_batches_tracked) are read as floats too.
            case "I64": size = 8
            case "I32": size = 4
            case "I8", "U8", "BOOL": size = 1
            default:
                throw LearningError.invalid(
                    "tensor '\(key)' in \(name) has dtype \(dtype); mle reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL"
                )
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, begin <= end, end <= bytes.count - body, count < Int.max / 8, end - begin == count * size
            else {
                throw bad(
                    "tensor '\(key)' has data_offsets [\(begin), \(end)] that do not fit its shape \(shape) and the file"
                )
            }
            var values = [Float](repeating: 0, count: count)
            let start = body + begin
            for i in 0..<count {
                let p = start + i * size
                switch dtype {
                case "F64":
                    var bits: UInt64 = 0
                    for b in 0..<8 { bits |= UInt64(bytes[p + b]) << (8 * UInt64(b)) }
                    values[i] = Float(Double(bitPattern: bits))
                case "F32":
                    var bits: UInt32 = 0
                    for b in 0..<4 { bits |= UInt32(bytes[p + b]) << (8 * UInt32(b)) }
                    values[i] = Float(bitPattern: bits)
                case "F16":
                    values[i] = halfToFloat(UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8)
                case "I64":
                    var bits: UInt64 = 0
                    for b in 0..<8 { bits |= UInt64(bytes[p + b]) << (8 * UInt64(b)) }
                    values[i] = Float(Int64(bitPattern: bits))
                case "I32":
                    var bits: UInt32 = 0
                    for b in 0..<4 { bits |= UInt32(bytes[p + b]) << (8 * UInt32(b)) }
                    values[i] = Float(Int32(bitPattern: bits))
                case "I16": values[i] = Float(Int16(bitPattern: UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8))
                case "I8": values[i] = Float(Int8(bitPattern: bytes[p]))
                case "U8", "BOOL": values[i] = Float(bytes[p])
                default:  // BF16: the top half of a float32.
                    values[i] = Float(bitPattern: (UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8) << 16)
                }
            }
            result.tensors[key] = Tensor(shape: shape, values: values)
            spans.append((begin, end, key))
        }
        // As the format requires: the tensors tile the data exactly, with no overlap and no gap.
        var covered = 0
        for (begin, end, key) in spans.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) where end > begin {
            if begin < covered {
                throw bad("tensor '\(key)' overlaps another tensor's data (bytes \(begin)..<\(covered))")
            }
            if begin > covered { throw bad("bytes \(covered)..<\(begin) of the data belong to no tensor") }
            covered = end
        }
        guard covered == bytes.count - body else {
            throw bad("bytes \(covered)..<\(bytes.count - body) of the data belong to no tensor")
        }
        return result
    }

    /// The integers of a JSON list, or nil when an element is not a whole number (2.5, true, "3").
    static func wholeNumbers(_ list: [Any]) -> [Int]? {
        var out: [Int] = []
        for element in list {
            // JSON true and false arrive as numbers of Objective-C type "c".
            guard let n = element as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    /// IEEE half precision to float, by hand (Float16 is not available on every platform Swift runs on).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), fraction = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * Float(pow(2.0, -24.0))
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(pow(2.0, Double(exponent - 15)))
        }
    }

    /// The file's bytes: F32 tensors in name order, the header padded to a multiple of 8.
    public func serialized() throws -> Data {
        var entries: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let t = tensors[name] else { continue }
            guard t.shape.reduce(1, *) == t.values.count else {
                throw LearningError.invalid("tensor '\(name)' has \(t.values.count) values for shape \(t.shape)")
            }
            entries[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        if !metadata.isEmpty { entries["__metadata__"] = metadata }
        var header = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(header)
        for name in names {
            guard let t = tensors[name] else { continue }
            var le = t.values.map { $0.bitPattern.littleEndian }
            le.withUnsafeMutableBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes the file atomically (a temporary file renamed over the target).
    public func write(path: String) throws {
        let data = try serialized()
        do { try AtomicFile.write(data, to: path) } catch {
            throw LearningError.invalid("cannot write '\(path)': \((error as NSError).localizedDescription)")
        }
    }
}
