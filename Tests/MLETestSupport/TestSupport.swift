import Foundation
import MLELanguage
import MLETensor

/// Helpers every test target shares: the package's paths, fixtures, running mle text in a
/// session, and approximate equality.

/// The package's top folder.
public let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
/// The same, under the name the learning tests use.
public var packageRoot: URL { root }

/// A dataset shipped in `datasets/`.
public func dataPath(_ name: String) -> String { root.appendingPathComponent("datasets/\(name)").path }

/// A file of the shared material beside the package (`../shared`: datasets, benchmarks), which
/// CI places beside every clone.
public func sharedPath(_ name: String) -> String {
    root.deletingLastPathComponent().appendingPathComponent("shared/\(name)").path
}

/// Writes `text` to a file named `name` in a fresh temporary folder, runs `body` with its path,
/// and removes the folder.
public func withFile(_ name: String, _ text: String, _ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    try body(path)
}

/// A fixture recorded by `scripts/fixtures/` for a test target: `Tests/TARGET/Fixtures/NAME`.
public func fixtureURL(_ target: String, _ name: String) -> URL {
    root.appendingPathComponent("Tests/\(target)/Fixtures/\(name)")
}

/// A JSON fixture as a dictionary (empty when it cannot be read, so the test's expectations fail).
public func jsonFixture(_ target: String, _ name: String) -> [String: Any] {
    guard let data = try? Data(contentsOf: fixtureURL(target, name)),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
}

/// Runs text as the script `t.mle` in a fresh (or given) session and returns the session, its
/// captured output and whether every statement succeeded.
@discardableResult
public func run(_ text: String, in session: Session? = nil, keepGoing: Bool = false) -> (Session, BufferedOutput, Bool)
{
    let out = BufferedOutput()
    let s = session ?? Session(output: out)
    s.output = out
    let ok = Interpreter(session: s).run(text, file: "t.mle", keepGoing: keepGoing)
    return (s, out, ok)
}

/// |a − b| ≤ absolute + relative · max(|a|, |b|): the comparison numeric tests use against
/// reference values (generic, so Float and Double results are checked alike).
public func isClose<T: BinaryFloatingPoint>(_ a: T, _ b: T, relative: T = 1e-6, absolute: T = 0) -> Bool {
    if a == b { return true }
    guard a.isFinite, b.isFinite else { return false }
    return abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

/// Element-wise `isClose` of two arrays of the same length.
public func isClose<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], relative: T = 1e-6, absolute: T = 0) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { isClose($0, $1, relative: relative, absolute: absolute) }
}

/// The setting a `SettingError` thrown by `body` names, or nil when `body` throws something else
/// or nothing: numeric tests check that an error points at the right setting.
public func settingOf(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as SettingError { return e.setting } catch { return nil }
    return nil
}

/// Runs `body` with the path of a new empty folder, removed afterwards.
public func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mle-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(dir.path)
}
