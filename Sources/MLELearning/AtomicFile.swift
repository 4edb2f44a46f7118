import Foundation

/// The one way mle writes files.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file beside it, renamed into place, so a reader
    /// never sees half a file; a destination that exists keeps its permissions (a 0600 file stays
    /// 0600). The temporary file is removed on any failure; one left by a process that was killed
    /// while writing is removed by `sweepAbandoned()` when mle next starts, from a marker kept in
    /// the state folder for as long as the write lasts.
    /// - Throws: the file system's error.
    public static func write(_ data: Data, to path: String) throws {
        try write(data, to: path, markers: Marker.folder)
    }

    /// `write(_:to:)` with the marker folder given (tests).
    static func write(_ data: Data, to path: String, markers: String?) throws {
        let destination = URL(fileURLWithPath: path)
        let folder = destination.deletingLastPathComponent().path
        let temporary = folder + "/." + destination.lastPathComponent + ".\(getpid()).\(next()).mle-partial"
        var st = stat()
        // An existing destination's mode is kept exactly; a new file gets 0666 less the umask, as
        // any other new file.
        let existing: mode_t? = stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
        let mode = existing ?? 0o666
        let marker = markers.flatMap { try? Marker(for: temporary, in: $0) }
        defer { marker?.remove() }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure(errno, path) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure(errno, path)
                    }
                    offset += n
                }
            }
            // The umask may have narrowed the mode open gave an existing file's: set it back.
            if let existing, fchmod(fd, existing) != 0 { throw failure(errno, path) }
            guard fsync(fd) == 0 else { throw failure(errno, path) }
        }
        guard rename(temporary, path) == 0 else { throw failure(errno, path) }
        ok = true
    }

    /// Removes temporary files left by writes whose process no longer runs (killed mid-write).
    /// - Returns: the temporary files removed.
    @discardableResult
    public static func sweepAbandoned() -> [String] { sweepAbandoned(markers: Marker.folder) }

    /// `sweepAbandoned()` over the given marker folder (tests).
    static func sweepAbandoned(markers folder: String?) -> [String] {
        guard let folder,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder)
        else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = Int32(name.split(separator: "-").first ?? ""), pid > 0 else { continue }
            // Still running (or not ours to ask about): leave it.
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            let markerPath = folder + "/" + name
            if let target = try? String(contentsOfFile: markerPath, encoding: .utf8), target.hasSuffix(".mle-partial") {
                if unlink(target) == 0 { removed.append(target) }
            }
            unlink(markerPath)
        }
        return removed
    }

    private static let counter = Counter()
    private static func next() -> Int { counter.next() }

    private static func failure(_ code: Int32, _ path: String) -> Error {
        NSError(
            domain: NSPOSIXErrorDomain, code: Int(code),
            userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(code))])
    }

    /// A small file in the state folder naming a temporary file while it exists.
    private struct Marker {
        /// `$MLE_STATE_DIR`, else `$XDG_STATE_HOME/mle`, else `~/.local/state/mle`, with `partial/`.
        static var folder: String? {
            let env = ProcessInfo.processInfo.environment
            let base: String
            if let s = env["MLE_STATE_DIR"], !s.isEmpty {
                base = s
            } else if let s = env["XDG_STATE_HOME"], !s.isEmpty {
                base = s + "/mle"
            } else if let home = env["HOME"], !home.isEmpty {
                base = home + "/.local/state/mle"
            } else {
                return nil
            }
            return base + "/partial"
        }

        let path: String

        init(for temporary: String, in folder: String) throws {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            path = folder + "/\(getpid())-\(AtomicFile.next())"
            try Data(temporary.utf8).write(to: URL(fileURLWithPath: path))
        }

        func remove() { unlink(path) }
    }
}

/// A process-wide counter for unique temporary names.
private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
