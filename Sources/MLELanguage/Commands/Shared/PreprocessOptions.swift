import MLELearning

/// The preprocessing options every training command takes (one definition, so `help`, parsing
/// and completion agree across `mlp`, `logistic`, `baseline` and `search`).
enum PreprocessOptions {
    static let specs: [ParamSpec] = [
        ParamSpec("impute", .choice(PreprocessSettings.Impute.allCases.map(\.rawValue)),
                  "how missing numbers are filled (fitted on the training data); categories take their most frequent level",
                  default: .symbol("median")),
        ParamSpec("indicator", .bool, "add a 0/1 column name:missing for each column with missing values in training"),
        ParamSpec("encode", .choice(PreprocessSettings.Encoding.allCases.map(\.rawValue)),
                  "categorical columns: onehot; target (mean encoding, Burkov's bin counting); odds or logodds (odds ratio of the positive class, two classes); ordinal",
                  default: .symbol("onehot")),
        ParamSpec("smoothing", .number, "target encoding: m-estimate weight of the overall mean, (sum + m·mean) / (count + m)",
                  default: .number(0)),
        ParamSpec("bins", .integer, "cut numeric columns into this many bins (one-hot); 0 keeps them as numbers", default: .number(0)),
        ParamSpec("binning", .choice(PreprocessSettings.Binning.allCases.map(\.rawValue)),
                  "where bin edges go: uniform widths, quantiles, or 1-D k-means", default: .symbol("quantile")),
        ParamSpec("bin_columns", .list(.string), "the numeric columns to bin (default: all)"),
        ParamSpec("scale", .choice(PreprocessSettings.Scaling.allCases.map(\.rawValue)),
                  "scale numeric columns: standard (z-score) or minmax (to [0, 1]), with training statistics",
                  default: .symbol("none")),
    ]

    /// The settings an invocation asks for.
    static func settings(_ inv: Invocation) throws -> PreprocessSettings {
        var s = PreprocessSettings()
        s.impute = PreprocessSettings.Impute(rawValue: inv.string("impute") ?? "") ?? .median
        s.indicator = inv.bool("indicator")
        s.encoding = PreprocessSettings.Encoding(rawValue: inv.string("encode") ?? "") ?? .onehot
        s.smoothing = inv.number("smoothing") ?? 0
        guard s.smoothing >= 0, s.smoothing.isFinite else { throw inv.error("smoothing must be a number ≥ 0", at: "smoothing") }
        s.bins = inv.int("bins") ?? 0
        guard s.bins == 0 || (s.bins >= 2 && s.bins <= 1000) else { throw inv.error("bins must be 0 (no binning) or between 2 and 1000", at: "bins") }
        s.binning = PreprocessSettings.Binning(rawValue: inv.string("binning") ?? "") ?? .quantile
        s.binColumns = inv.stringList("bin_columns")
        if s.binColumns != nil, s.bins == 0 { throw inv.error("bin_columns needs bins=K", at: "bin_columns") }
        s.scaling = PreprocessSettings.Scaling(rawValue: inv.string("scale") ?? "") ?? .none
        return s
    }
}
