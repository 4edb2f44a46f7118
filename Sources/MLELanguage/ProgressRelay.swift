import MLETensor

/// Carries a numeric context's (done, total) reports to the session's progress bar.
///
/// `@unchecked Sendable`: the sink is not thread-safe, but `ExecutionContext` serialises every
/// call of its progress closure behind a mutex, so `report` runs on one thread at a time.
final class ProgressRelay: @unchecked Sendable {
    private let sink: any ProgressSink
    private let label: String
    private let detail: (@Sendable (Int, Int) -> String)?
    private var total = -1

    init(_ sink: any ProgressSink, label: String, detail: (@Sendable (Int, Int) -> String)?) {
        self.sink = sink; self.label = label; self.detail = detail
    }

    func report(_ done: Int, _ total: Int) {
        if total != self.total {
            self.total = total
            sink.start(label, total: total)
        }
        sink.update(done, detail: detail?(done, total) ?? "")
    }
}
