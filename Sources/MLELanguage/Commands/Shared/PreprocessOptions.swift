import MLELearning

/// The preprocessing options every training command takes (one definition, so `help`, parsing
/// and completion agree across `mlp`, `logistic`, `baseline` and `search`).
enum PreprocessOptions {
    static let specs: [ParamSpec] = [
        .choice(
            "impute", PreprocessSettings.Impute.self,
            "how missing numbers are filled (fitted on the training data); categories take their most frequent level",
            default: PreprocessSettings().impute),
        ParamSpec("indicator", .bool, "add a 0/1 column name:missing for each column with missing values in training"),
        .choice(
            "encode", PreprocessSettings.Encoding.self,
            "categorical columns: onehot; target (mean encoding, Burkov's bin counting); odds or logodds (odds ratio of the positive class, two classes); ordinal",
            default: PreprocessSettings().encoding),
        ParamSpec(
            "smoothing", .number,
            "target encoding: m-estimate weight of the overall mean, (sum + m·mean) / (count + m)",
            default: .number(PreprocessSettings().smoothing)),
        ParamSpec(
            "bins", .integer, "cut numeric columns into this many bins (one-hot); 0 keeps them as numbers",
            default: .number(Double(PreprocessSettings().bins))),
        .choice(
            "binning", PreprocessSettings.Binning.self, "where bin edges go: uniform widths, quantiles, or 1-D k-means",
            default: PreprocessSettings().binning),
        ParamSpec("bin_columns", .list(.string), "the numeric columns to bin (default: all)"),
        .choice(
            "scale", PreprocessSettings.Scaling.self,
            "scale numeric columns: standard (z-score) or minmax (to [0, 1]), with training statistics",
            default: PreprocessSettings().scaling)
    ]

    /// The settings an invocation asks for.
    static func settings(_ inv: Invocation) throws -> PreprocessSettings {
        var s = PreprocessSettings()
        s.impute = try inv.choice("impute", PreprocessSettings.Impute.self)
        s.indicator = inv.bool("indicator")
        s.encoding = try inv.choice("encode", PreprocessSettings.Encoding.self)
        s.smoothing = try inv.declared("smoothing", Double.self)
        guard s.smoothing >= 0, s.smoothing.isFinite else {
            throw inv.error("smoothing must be a number ≥ 0", at: "smoothing")
        }
        s.bins = try inv.declared("bins", Int.self)
        guard s.bins == 0 || (s.bins >= 2 && s.bins <= 1000) else {
            throw inv.error("bins must be 0 (no binning) or between 2 and 1000", at: "bins")
        }
        s.binning = try inv.choice("binning", PreprocessSettings.Binning.self)
        s.binColumns = inv.stringList("bin_columns")
        if s.binColumns != nil, s.bins == 0 { throw inv.error("bin_columns needs bins=K", at: "bin_columns") }
        s.scaling = try inv.choice("scale", PreprocessSettings.Scaling.self)
        return s
    }
}
