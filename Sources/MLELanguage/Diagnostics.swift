import MLEEvaluation
import MLELearning
import MLETensor

/// Turns the numeric layers' typed errors into messages at the argument that caused them, in the
/// language's own words (option names, `use method=random`), with the one "did you mean" helper.
enum Diagnostics {
    /// "; did you mean 'epochs'?" when a candidate is close to `name`, else "".
    static func didYouMean(_ name: String, in candidates: [String]) -> String {
        Suggest.closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// The option a numeric setting is given by: the same name in snake_case, or the few that
    /// differ. Nil when the command has no such option.
    static func option(for setting: String, in spec: CommandSpec) -> String? {
        let renamed = [
            "encoding": "encode", "maxRadius": "max", "batchSize": "batch", "learningRate": "lr",
            "maxIterations": "max_iter", "neighbours": "k", "stepSize": "step", "methods": "method"
        ]
        var name = renamed[setting] ?? ""
        if name.isEmpty {
            for ch in setting {
                if ch.isUppercase { name += "_" + ch.lowercased() } else { name.append(ch) }
            }
        }
        return spec.option(name) != nil || spec.positionals.contains(where: { $0.name == name }) ? name : nil
    }

    /// The message for an unknown name: what is missing, the suggestion, and the known names
    /// when the error asks for them.
    static func message(_ e: UnknownNameError) -> String {
        var text = e.description + didYouMean(e.name, in: e.known)
        if let listing = e.listing {
            let shown =
                e.known.count > 12
                ? e.known.prefix(12).joined(separator: ", ") + ", …" : e.known.joined(separator: ", ")
            text += " (\(listing): \(shown))"
        }
        return text
    }

    /// The user-facing error for anything a command threw, at the argument that caused it.
    static func render(_ error: Error, in inv: Invocation) -> Error {
        switch error {
        case let e as MLEError: return e
        case let e as Interrupted: return e
        case is Cancelled: return Interrupted()
        case let e as SettingError:
            let option = option(for: e.setting, in: inv.spec)
            let shown = option ?? e.setting
            var text = e.reason
            switch e.remedy {
            case nil: break
            case .use(let v)?: text += "; use \(shown)=\(v)"
            case .useOneOf(let vs)?: text += "; use " + vs.map { "\(shown)=\($0)" }.joined(separator: " or ")
            case .atMost(let n)?: text += "; use \(shown)=\(n) or fewer"
            case .example(let x)?: text += ", e.g. \(shown)=\(x)"
            }
            return inv.error(text, at: option)
        case let e as MemoryError:
            // At the setting that sized the work, else at the file being read (load).
            let file = inv.spec.positionals.contains { $0.name == "file" } ? "file" : nil
            return inv.error(e.description, at: e.setting.flatMap { option(for: $0, in: inv.spec) } ?? file)
        case let e as UnknownNameError:
            return inv.error(message(e), at: e.setting.flatMap { option(for: $0, in: inv.spec) })
        case let e as DataFileError:
            var text = e.description
            if let unknown = e.unknownName {
                text += didYouMean(unknown.name, in: unknown.known)
                if let listing = unknown.listing { text += " (\(listing): \(unknown.known.joined(separator: ", ")))" }
            }
            // At the file argument when the command has one (load), else at the command.
            return inv.error(text, at: inv.spec.positionals.contains { $0.name == "file" } ? "file" : nil)
        case let e as LearningError:
            // Columns the model needs and the data lacks: at the data argument.
            if case .missingFeatures = e,
                let data = inv.spec.positionals.first(where: { if case .dataset = $0.type { true } else { false } })
            {
                return inv.error(e.description, at: data.name)
            }
            if case .noTarget = e {
                return MLEError(inv.location, e.description, notes: ["load the data with target=COLUMN"])
            }
            return MLEError(inv.location, e.description)
        case let e as TensorError: return MLEError(inv.location, e.description)
        case let e as IntervalError: return MLEError(inv.location, e.description)
        case let e as CoverageError: return MLEError(inv.location, e.description)
        case let e as RobustError: return MLEError(inv.location, e.description)
        default: return MLEError(inv.location, "\(error)")
        }
    }
}
