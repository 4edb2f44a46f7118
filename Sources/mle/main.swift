import ArgumentParser
import Foundation
import MLELanguage
import MLELearning
import MLEShell
import MLETensor

/// The `mle` executable: the interactive shell, a script file, or one command line.
struct MLE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mle",
        abstract: "A shell for evaluating machine-learning models and their robustness.",
        discussion: """
            With no arguments on a terminal, starts the interactive shell. With a script file, runs it \
            and stops at the first error (exit status 1). Scripts may start with #!/usr/bin/env mle.
            """,
        version: "mle \(MLEVersion.number)")

    @ArgumentParser.Argument(help: "A .mle script to run.")
    var script: String?

    @Option(name: .customShort("c"), help: "Run one command line and exit.")
    var command: String?

    @Flag(name: .customLong("keep-going"), help: "After an error in a script, report it and go on.")
    var keepGoing = false

    @Flag(name: .shortAndLong, help: "After the script or -c command, stay at the prompt with its variables.")
    var interactive = false

    @Option(
        name: .customLong("report"),
        help: ArgumentHelp(
            "After the script or -c command, write the session as an HTML page (each statement, its tables and plots).",
            valueName: "page.html"))
    var reportPage: String?

    @Option(help: "Output format: table, json or csv.")
    var format: String = "table"

    @Option(help: "The session seed (default 0).")
    var seed: UInt64 = 0

    @Flag(name: .customLong("print-reference"), help: "Print the language reference (Markdown) and exit.")
    var printReference = false

    func run() throws {
        if printReference {
            print(ReferenceDoc.markdown(), terminator: "")
            return
        }
        guard let outputFormat = OutputFormat(rawValue: format) else {
            throw ValidationError("--format takes table, json or csv")
        }
        // Temporary files of writes a killed mle left behind.
        AtomicFile.sweepAbandoned()
        // Nothing else runs yet: OpenBLAS's spinning start-up workers can be stopped safely.
        BLASThreads.stopIdleWorkers()
        let session = Session(
            output: ConsoleOutput(), progress: ProgressBar(),
            cancellation: Shell.interruptCancellation)
        session.format = outputFormat
        session.threads = .ownsProcess
        session.seed = seed
        session.widthSource = terminalWidth
        session.colour = TextColour.wanted(
            isTerminal: isatty(STDOUT_FILENO) != 0, environment: ProcessInfo.processInfo.environment)
        Shell.installInterruptHandler()

        let ok: Bool
        if let command {
            ok = Shell.runPlain(session: session, text: command, file: "<command line>", keepGoing: keepGoing)
        } else if let script {
            guard let data = FileManager.default.contents(atPath: script),
                let text = String(data: data, encoding: .utf8)
            else {
                FileHandle.standardError.write(Data("\(script): error: cannot read the script\n".utf8))
                throw ExitCode(2)
            }
            ok = Shell.runPlain(session: session, text: text, file: script, keepGoing: keepGoing)
        } else if isatty(STDIN_FILENO) != 0 {
            Shell.runInteractive(session: session)
            ok = true
        } else {
            ok = Shell.runPlain(session: session, text: Shell.readAllStdin(), file: "<stdin>", keepGoing: keepGoing)
        }
        if let reportPage {
            if let problem = session.writeReport(to: reportPage, source: script ?? command.map { "mle -c \($0)" }) {
                FileHandle.standardError.write(Data((problem + "\n").utf8))
                throw ExitCode(2)
            }
            FileHandle.standardError.write(
                Data("wrote \(reportPage): \(session.transcript.entries.count) statements\n".utf8))
        }
        if interactive, command != nil || script != nil {
            // As julia -i: the session goes on at the prompt (or with the statements on standard
            // input when it is not a terminal), after an error too.
            if isatty(STDIN_FILENO) != 0 {
                Shell.runInteractive(session: session)
                return
            }
            let rest = Shell.runPlain(
                session: session, text: Shell.readAllStdin(), file: "<stdin>", keepGoing: keepGoing)
            if !rest { throw ExitCode(1) }
            return
        }
        if Shell.interruptCancellation.isCancelled, !ok { throw ExitCode(130) }
        if !ok { throw ExitCode(1) }
    }
}

MLE.main()
