/// The language reference (docs/reference.md), generated from the command registry so it always
/// matches `help`. A test checks the committed file against this text.
public enum ReferenceDoc {
    public static func markdown(_ registry: CommandRegistry = .standard) -> String {
        var out = """
            # mle language reference

            Generated from the command registry (`mle --print-reference > docs/reference.md`); the same
            registry drives `help`, argument checking and Tab completion.

            ## Statements
            ```
            command subject... key=value... flag      # run a command and print its result
            name = command ...                         # bind the result, print a one-line summary
            a, b = command ...                         # bind several results (split returns two)
            name = 0.05                                # plain values: numbers, strings, lists, names
            name                                       # a bare variable name shows its value
            for d in [0.01, 0.05] { command ... d }    # loop over a list
            source "other.mle"                         # run another script in this session
            ```
            - `#` starts a comment. Identifiers are `[A-Za-z_][A-Za-z0-9_]*`; numbers `3`, `0.8`, `1e-3`,
              `-2`; strings `"..."` with `\\"`, `\\\\`, `\\n`, `\\t`; lists `[16, 8]`, nested allowed.
            - One statement per line (or several separated by `;`). A statement continues on the next
              line while a `(`, `[` or `{` is open, or when the line ends with `\\`; the shell then shows
              `...>`.
            - Positional arguments (the subjects: model, then data) come first, options after. A bare
              option word sets a flag (`stratify`). An option taking a column name or a choice takes a
              bare word (`target=species`, `kind=zero_rule`).
            - Random commands take `seed=`; without it they use the session seed (`set seed N`, default
              0) and advance it, so a script prints the same output every run.
            - Lists, parentheses and `for` loops nest at most 100 levels deep.
            - A failed command changes no variable. Errors read `FILE:LINE:COL: error: message` on
              stderr (`<stdin>` at the prompt, `<command line>` for `-c`).

            ## Output
            Results go to stdout as tables; `set format json` (or `mle --format json`) prints each result
            as one JSON object per line, `set format csv` prints tables as CSV. Progress bars and notes
            go to stderr; bars only on a terminal. `set timer on` reports, on stderr, each statement's
            wall-clock time and the CPU time of all its threads (`time: 8.84 ms wall, 17.2 ms cpu`: two
            cores busy), and each `for` loop's total; with `set format json` the line is a JSON object.

            Tables, help and notes are fitted to the terminal's width (`COLUMNS` when set; 100 columns
            without a terminal): long text wraps at word boundaries and a table too wide folds its
            columns into blocks. Tables shortened with `rows=` say how many rows were left out; JSON
            and CSV always carry every row. In JSON every report names its `command`, the `model`(s)
            and `data` it is about, and its `verdict` and `notes`. In CSV each result is one table
            (numbers written in full, an interval as `_low` and `_high` columns); a report with
            several tables starts each row with the `table` it belongs to, and results are separated
            by a blank line. Assignments print as `variable,type,value` tables.

            """
        var area: CommandArea?
        for name in registry.names {
            guard let spec = registry[name] else { continue }
            if spec.area != area {
                area = spec.area
                out += "## \(spec.area.title.prefix(1).uppercased() + spec.area.title.dropFirst())\n\n"
            }
            out += "### \(spec.name)\n\n\(spec.summary).\n\n`\(spec.usage)` — returns \(spec.returns).\n\n"
            let params = spec.positionals.map { ($0, true) } + spec.options.map { ($0, false) }
            if !params.isEmpty {
                out += "| argument | type | default | meaning |\n|---|---|---|---|\n"
                for (p, positional) in params {
                    let shown = positional ? p.name.uppercased() : p.name
                    var def =
                        p.defaultValue.map { v -> String in
                            if case .bool(let b) = v { return b ? "on" : "off" }
                            return v.summary
                        } ?? ""
                    if positional, p.required { def = "required" }
                    out +=
                        "| `\(shown)` | \(p.type.description.replacingOccurrences(of: "|", with: "\\|")) | \(def) | \(p.help) |\n"
                }
                out += "\n"
            }
            out += "```\n" + spec.examples.joined(separator: "\n") + "\n```\n\n"
        }
        return out
    }
}
