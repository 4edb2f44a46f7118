/// mle's version, printed by `mle --version` and `show`.
public enum MLEVersion {
    public static let number = "0.9.0"
}
