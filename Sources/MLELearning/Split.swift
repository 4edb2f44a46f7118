import MLETensor

/// Train/test splits.
public enum Splitter {
    /// Splits `data` into a training share of `ratio` and a test share of the rest.
    /// - Parameters:
    ///   - ratio: the training share, strictly between 0 and 1.
    ///   - stratify: keep each class's share the same on both sides (classification targets).
    ///   - seed: the random seed; the same seed gives the same split.
    /// - Returns: (train, test), each keeping the rows' original order.
    /// - Throws: `LearningError.invalid` for a ratio outside (0, 1), a side left empty, or
    ///   `stratify` without class labels.
    public static func split(
        _ data: Dataset, ratio: Double, stratify: Bool,
        seed: UInt64
    ) throws -> (train: Dataset, test: Dataset) {
        guard ratio > 0, ratio < 1 else {
            throw SettingError("ratio", "ratio must be between 0 and 1 (exclusive), got \(ratio)")
        }
        var rng = SeededGenerator(seed: seed)
        var trainIdx: [Int] = []
        var testIdx: [Int] = []
        if stratify {
            guard case .classes(let labels, let names)? = data.target else {
                throw SettingError(
                    "stratify",
                    "stratifying needs a class target; this dataset has \(data.target == nil ? "no target" : "a numeric target")"
                )
            }
            var byClass = [[Int]](repeating: [], count: names.count)
            for (i, l) in labels.enumerated() { byClass[l].append(i) }
            for var members in byClass where !members.isEmpty {
                rng.shuffle(&members)
                let k = Int((Double(members.count) * ratio).rounded())
                trainIdx += members[..<k]
                testIdx += members[k...]
            }
        } else {
            var all = Array(0..<data.rowCount)
            rng.shuffle(&all)
            let k = Int((Double(all.count) * ratio).rounded())
            trainIdx = Array(all[..<k])
            testIdx = Array(all[k...])
        }
        guard !trainIdx.isEmpty, !testIdx.isEmpty else {
            throw SettingError(
                "ratio",
                "a ratio of \(ratio) on \(data.rowCount) rows leaves the \(trainIdx.isEmpty ? "training" : "test") side empty"
            )
        }
        // Ctrl-C between the steps (each a pass over millions of rows at most).
        try Cancellation.checkCurrent()
        // Back into the rows' order through a mask (sorting millions of indices took 0.2 s).
        var inTest = [Bool](repeating: false, count: data.rowCount)
        for r in testIdx { inTest[r] = true }
        testIdx = inTest.indices.filter { inTest[$0] }
        trainIdx = inTest.indices.filter { !inTest[$0] }
        try Cancellation.checkCurrent()
        var test = try data.subset(testIdx, name: data.name + ".test")
        try Cancellation.checkCurrent()
        test.isHeldOut = true
        return (try data.subset(trainIdx, name: data.name + ".train"), test)
    }
}
