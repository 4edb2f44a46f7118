import Foundation

/// Memory the machine can still give: allocations sized from user input are checked against it
/// before they are made, so that a request too large for the machine is an error the session
/// survives rather than an abort that loses it.
public enum Memory {
    /// Bytes this process may still allocate: the kernel's estimate of available memory
    /// (`MemAvailable` in /proc/meminfo) or, under a tighter control-group limit, the room left
    /// below that limit; the physical memory where neither can be read.
    public static func available() -> Int {
        var best = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let limit { best = min(best, limit) }
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kb = Int(fields[1]) {
                    best = min(best, kb.multipliedReportingOverflow(by: 1024).partialValue)
                }
            }
        }
        if let limit = number(in: "/sys/fs/cgroup/memory.max"), let used = number(in: "/sys/fs/cgroup/memory.current") {
            best = min(best, max(0, limit - used))
        }
        return best
    }

    /// A limit the user sets with `MLE_MEMORY_LIMIT` (bytes, or with K, M or G: `512M`), for a
    /// shared machine; nil when unset or unreadable.
    public static let limit: Int? = {
        guard var text = ProcessInfo.processInfo.environment["MLE_MEMORY_LIMIT"]?.uppercased(), !text.isEmpty
        else { return nil }
        var scale = 1
        if text.hasSuffix("B") { text.removeLast() }
        switch text.last {
        case "K": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        case "T": scale = 1 << 40
        default: break
        }
        if scale > 1 { text.removeLast() }
        guard let v = Double(text), v >= 0, v.isFinite else { return nil }
        return Int(min(v * Double(scale), 9e18))
    }()

    /// Whether an allocation of `bytes` is worth checking: large ones always, any one under a
    /// user's limit (reading /proc/meminfo for every small matrix would cost more than it saves).
    public static func worthChecking(_ bytes: Int) -> Bool { bytes > 1 << 28 || limit != nil }

    private static func number(in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))  // "max" (no limit) gives nil
    }

    /// Throws `MemoryError` when `bytes` (computed without overflow by the caller, or `Int.max`)
    /// exceed what is available.
    /// - Parameters:
    ///   - what: the work, as a clause: "train a network with hidden=[65536, 65536]".
    ///   - setting: the setting whose value decided the size, for the language to point at.
    public static func reserve(_ bytes: Int, for what: String, setting: String? = nil) throws {
        let free = available()
        if bytes > free { throw MemoryError(needed: bytes, available: free, what: what, setting: setting) }
    }

    /// `a × b × …` bytes, saturating at Int.max instead of overflowing.
    public static func product(_ factors: Int...) -> Int {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: max(f, 0))
            if overflow { return Int.max }
            total = p
        }
        return total
    }

    /// A size for people: 512 B, 3.4 MB, 2.1 GB.
    public static func describe(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var v = Double(bytes), u = 0
        while v >= 1000, u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(bytes) B" : String(format: v >= 100 ? "%.0f" : "%.1f", v) + " " + units[u]
    }
}

/// Work that needs more memory than the machine has free.
public struct MemoryError: Error, Equatable, Sendable, CustomStringConvertible {
    public var needed: Int
    public var available: Int
    public var what: String
    public var setting: String?

    public init(needed: Int, available: Int, what: String, setting: String? = nil) {
        self.needed = needed; self.available = available; self.what = what; self.setting = setting
    }

    public var description: String {
        let size = needed == Int.max ? "more than the machine can address" : "about \(Memory.describe(needed))"
        return "not enough memory to \(what): it needs \(size) and \(Memory.describe(available)) is free"
    }
}
