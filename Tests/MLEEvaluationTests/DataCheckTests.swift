import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

@Test func dataChecksFindWhatAHandCheckFinds() throws {
    // leak equals the class exactly; twice = 2·a (r = 1); const never changes; row 5 repeats row 1.
    let csv = """
        a,twice,const,leak,noise,y
        1,2,7,0,5,no
        2,4,7,0,3,no
        3,6,7,1,9,yes
        4,8,7,1,1,yes
        1,2,7,0,5,no
        5,10,7,0,2,no
        """
    let d = try Dataset.fromCSV(try CSVReader.parse(csv, file: "c.csv"), file: "c.csv", targetName: "y")
    let c = try DataCheck.run(d)
    #expect(c.constantColumns == ["const"])
    #expect(c.duplicateRows == 1 && c.firstDuplicate?.row == 4 && c.firstDuplicate?.of == 0)
    #expect(c.correlatedPairs.count == 1 && c.correlatedPairs.first?.a == "a" && c.correlatedPairs.first?.b == "twice")
    #expect(abs((c.correlatedPairs.first?.correlation ?? 0) - 1) < 1e-12)
    #expect(c.strongPredictors.map(\.feature).contains("leak"))
    #expect(c.strongPredictors.first { $0.feature == "leak" }?.score == 1)
    #expect(c.strongPredictors.first { $0.feature == "leak" }?.baseline == 4.0 / 6)
    #expect(c.imbalanceRatio == 2)
    // Overlap with a test set: rows equal in every feature.
    let testCSV = "a,twice,const,leak,noise,y\n1,2,7,0,5,yes\n9,9,9,9,9,no\n"
    let t = try Dataset.fromCSV(try CSVReader.parse(testCSV, file: "t.csv"), file: "t.csv", targetName: "y")
    #expect(try DataCheck.run(d, test: t).sharedWithTest == 1)
    // Pearson's r against a hand value: x = 1, 2, 3; y = 1, 3, 2 → r = 0.5.
    #expect(abs((DataCheck.pearson([1, 2, 3], [1, 3, 2]) ?? 0) - 0.5) < 1e-12)
    #expect(DataCheck.pearson([1, 1, 1], [1, 2, 3]) == nil)
}

@Test func aCleanDatasetHasNothingToReport() throws {
    let d = try Dataset.load(
        path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("datasets/iris.csv").path, targetName: "species")
    let c = try DataCheck.run(d, leakage: 0.99)
    #expect(c.constantColumns.isEmpty && c.missingCells == 0 && c.strongPredictors.isEmpty)
    #expect(c.duplicateRows == 1)  // iris has one exact duplicate row (143 repeats 102) — a known fact of the dataset
}

/// For a numeric target a feature is a possible leak when |Pearson r| with the target reaches
/// the threshold, over the rows where the feature is present. By hand: leak = 3y + 1 (r = 1, its
/// missing row skipped), neg = −y (r = −1, reported as 1), weak: x = 1, 2, 3, 4 against
/// y = 1.5, 3.5, 2.5, 4.5 gives Σdxdy = 4, Σdx² = Σdy² = 5, r = 0.8; a categorical column is not
/// scored. (Fractional y, so the target is read as numbers, not as classes.)
@Test func leakageForANumericTargetIsPearsonsR() throws {
    let csv = """
        leak,neg,weak,cat,y
        5.5,-1.5,1,a,1.5
        11.5,-3.5,2,b,3.5
        8.5,-2.5,3,a,2.5
        14.5,-4.5,4,b,4.5
        NA,-10.5,NA,a,10.5
        """
    let d = try Dataset.fromCSV(try CSVReader.parse(csv, file: "r.csv"), file: "r.csv", targetName: "y")
    guard case .values? = d.target else { Issue.record("the target should be numbers"); return }
    let strict = try DataCheck.run(d)
    #expect(Set(strict.strongPredictors.map(\.feature)) == ["leak", "neg"])
    for p in strict.strongPredictors {
        #expect(abs(p.score - 1) < 1e-12 && p.baseline == 0)
    }
    let loose = try DataCheck.run(d, leakage: 0.8)
    #expect(loose.strongPredictors.map(\.feature).sorted() == ["leak", "neg", "weak"])
    #expect(abs((loose.strongPredictors.first { $0.feature == "weak" }?.score ?? 0) - 0.8) < 1e-12)
    #expect(try DataCheck.run(d, leakage: 0.81).strongPredictors.map(\.feature).sorted() == ["leak", "neg"])
}

@Test func radixSortOrdersFloatsAsTheStandardSort() throws {
    var rng = SeededGenerator(seed: 3)
    var values: [Float] = (0..<50_000).map { _ in Float(rng.nextNormal() * 1e3) }
    values += [
        0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 1, 1,
        1
    ]
    var sorted = values
    try RowStatistics.sort(&sorted)
    #expect(sorted.map(\.bitPattern) != values.map(\.bitPattern))
    // Equal as numbers, position by position (−0 and +0 may swap: they are equal).
    #expect(sorted == values.sorted())
    #expect(sorted.first == -.infinity && sorted.last == .infinity)
    var one: [Float] = [2]
    try RowStatistics.sort(&one)
    #expect(one == [2])
    var many = values
    #expect(throws: Cancelled.self) { try RowStatistics.sort(&many, cancellation: Cancellation { true }) }
}

@Test func blockCorrelationsEqualTwoPassPearsonWithMissingValues() throws {
    // Four columns over 20,000 rows (more than two blocks): b follows a, c is noise, d is
    // constant where a is present; about 1 in 7 cells is missing.
    var rng = SeededGenerator(seed: 5)
    let n = 20_000
    var x = Matrix(rows: n, cols: 4)
    for r in 0..<n {
        let a = rng.nextNormal() * 3 + 100
        x[r, 0] = Float(a)
        x[r, 1] = Float(2 * a + rng.nextNormal())
        x[r, 2] = Float(rng.nextNormal())
        x[r, 3] = 7
        for j in 0..<4 where rng.nextIndex(7) == 0 { x[r, j] = .nan }
    }
    let r = try RowStatistics.correlations(x, columns: [0, 1, 2, 3])
    for a in 0..<4 {
        for b in 0..<4 where b != a {
            var xs: [Double] = [], ys: [Double] = []
            for i in 0..<n where !x[i, a].isNaN && !x[i, b].isNaN {
                xs.append(Double(x[i, a])); ys.append(Double(x[i, b]))
            }
            let expected = DataCheck.pearson(xs, ys)
            if let e = expected, let got = r[a][b] {
                #expect(abs(e - got) < 1e-9, "r[\(a)][\(b)] = \(got), two passes give \(e)")
            } else {
                #expect(expected == nil && r[a][b] == nil, "r[\(a)][\(b)]: \(String(describing: r[a][b]))")
            }
        }
    }
    #expect((r[0][1] ?? 0) > 0.98)
    #expect(throws: Cancelled.self) {
        try RowStatistics.correlations(x, columns: [0, 1], cancellation: Cancellation { true })
    }
}

@Test func overlapMatchesCategoriesByNameAndSkipsNothing() throws {
    // The test set lists the levels in another order (its first row is "blue"): rows match by name.
    let train = try Dataset.fromCSV(
        try CSVReader.parse("c,x,y\nred,1,a\nblue,2,b\nred,3,a\nblue,1,b\n", file: "a.csv"), file: "a.csv",
        targetName: "y")
    let test = try Dataset.fromCSV(
        try CSVReader.parse("c,x,y\nblue,2,a\nred,1,b\ngreen,1,a\nred,2,a\n", file: "b.csv"), file: "b.csv",
        targetName: "y")
    let c = try DataCheck.run(train, test: test)
    // blue,2 and red,1 are training rows (targets aside); green,1 and red,2 are not.
    #expect(c.sharedWithTest == 2)
    #expect(c.duplicateRows == 0)
    // Duplicates include the target: the same features with another class is not a duplicate.
    let d = try Dataset.fromCSV(
        try CSVReader.parse("x,z,y\n1,NA,a\n1,NA,a\n1,NA,b\n-0,2,a\n0,2,a\n", file: "d.csv"), file: "d.csv",
        targetName: "y")
    let dc = try DataCheck.run(d)
    #expect(dc.duplicateRows == 2)
    #expect(dc.firstDuplicate?.row == 1 && dc.firstDuplicate?.of == 0)
}

@Test func majorityCountsAgreeForFewAndManyGroups() {
    // The flat table (few groups) and the sparse one (identifier-like columns) count alike.
    var rng = SeededGenerator(seed: 8)
    let labels = (0..<3000).map { _ in rng.nextIndex(3) }
    let few = labels.indices.map { _ in Int32(rng.nextIndex(5)) }
    var expected = 0
    for g in 0..<5 {
        var counts = [0, 0, 0]
        for (h, l) in zip(few, labels) where h == g { counts[l] += 1 }
        expected += counts.max() ?? 0
    }
    #expect(DataCheck.majorityCount(few, groupCount: 5, labels: labels, classes: 3) == expected)
    // The same groups declared as 1,000,000 possible: the sparse path, the same answer.
    #expect(DataCheck.majorityCount(few, groupCount: 1_000_000, labels: labels, classes: 3) == expected)
}
