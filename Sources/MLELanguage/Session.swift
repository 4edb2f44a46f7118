import MLETensor

/// Where results and messages go. The shell writes them to stdout and stderr; tests collect them.
public protocol OutputSink: AnyObject {
    /// A result, for stdout.
    func result(_ text: String)
    /// A note or warning, for stderr.
    func note(_ text: String)
    /// A rendered error, for stderr.
    func error(_ text: String)
}

/// Progress of long work. The shell draws a bar on a terminal; elsewhere nothing is drawn.
public protocol ProgressSink: AnyObject {
    func start(_ label: String, total: Int)
    func update(_ done: Int, detail: String)
    func finish()
}

/// A progress sink that shows nothing.
public final class SilentProgress: ProgressSink {
    public init() {}
    public func start(_ label: String, total: Int) {}
    public func update(_ done: Int, detail: String) {}
    public func finish() {}
}

/// Collects output in memory (tests, `-c` capture).
public final class BufferedOutput: OutputSink {
    public private(set) var results: [String] = []
    public private(set) var notes: [String] = []
    public private(set) var errors: [String] = []
    public init() {}
    public func result(_ text: String) { results.append(text) }
    public func note(_ text: String) { notes.append(text) }
    public func error(_ text: String) { errors.append(text) }
}

/// The state of one session: variables, settings, and the channels to the outside.
public final class Session {
    public var variables: [String: Value] = [:]
    public var format: OutputFormat = .table
    /// The session seed (`set seed N`); random commands without `seed=` take it and advance it.
    public var seed: UInt64 = 0
    /// `set timer on`: each statement's wall-clock and CPU time is reported as a note.
    public var timer = false
    /// Colour the table text of results (verdicts, best cells): set by the shell when stdout is
    /// a terminal and `NO_COLOR` is not set. Never applied to results sent to a file.
    public var colour = false
    /// The columns tables, help and notes are fitted to: the terminal's width, `COLUMNS`, or
    /// `TextLayout.defaultWidth` without a terminal. The shell updates it before each statement.
    public var width = TextLayout.defaultWidth
    /// Reads the current width (the shell's terminal query); nil keeps `width` as set.
    public var widthSource: (() -> Int?)?
    public let registry: CommandRegistry
    /// Where results, notes and errors go: the host's sink (`sink`), through the session's
    /// channel, which also records them for `report "page.html"` and redirects results for
    /// `set output` and `once`. Setting it replaces the host's sink.
    public var output: OutputSink {
        get { channel }
        set { channel.inner = newValue }
    }
    /// The host's sink itself (the console, a test's buffer).
    public var sink: OutputSink { channel.inner }
    let channel: SessionOutput
    /// What the session printed, statement by statement.
    public var transcript: Transcript { channel.transcript }
    public var progress: ProgressSink
    public var cancellation: Cancellation
    /// Set by `quit`.
    public var quitRequested = false
    /// `.ownsProcess` when this session is the only user of the process (the `mle` program), so
    /// commands may stop OpenBLAS's idle workers before running threads of their own; `.shared`
    /// in tests and other hosts that may run BLAS beside it (see `BLASThreads.single`).
    public var threads: ThreadPolicy = .shared
    /// Files being sourced, to refuse a cycle.
    var sourceStack: [String] = []

    public init(
        registry: CommandRegistry = .standard, output: OutputSink = BufferedOutput(),
        progress: ProgressSink = SilentProgress(), cancellation: Cancellation = .never
    ) {
        self.registry = registry; self.channel = SessionOutput(output); self.progress = progress
        self.cancellation = cancellation
    }

    func takeSeed() -> UInt64 {
        let s = seed
        seed &+= 1
        return s
    }
}
