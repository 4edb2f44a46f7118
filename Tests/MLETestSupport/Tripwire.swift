import MLETensor
import Synchronization

/// Ctrl-C as the shell delivers it, at a chosen moment: the first `passes` checks of the
/// cancellation see nothing, every later one sees it.
public final class Tripwire: Sendable {
    let checks = Atomic<Int>(0)
    let passes: Int
    public init(passes: Int) { self.passes = passes }
    /// How many times the cancellation has been checked so far.
    public var count: Int { checks.load(ordering: .relaxed) }
    public var cancellation: Cancellation {
        Cancellation { self.checks.add(1, ordering: .relaxed).newValue > self.passes }
    }
    /// A context with that cancellation, no progress and OpenBLAS shared.
    public var context: ExecutionContext { ExecutionContext(cancellation: cancellation) }
}
