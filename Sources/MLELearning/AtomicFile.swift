import Foundation

/// The one way mle writes files.
public enum AtomicFile {
    /// Writes `data` to `path` through a temporary file renamed into place, so a reader never sees
    /// half a file; a destination that exists keeps its permissions (a 0600 file stays 0600).
    /// - Throws: the file system's error.
    public static func write(_ data: Data, to path: String) throws {
        let manager = FileManager.default
        let mode = (try? manager.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        if let mode { try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: path) }
    }
}
