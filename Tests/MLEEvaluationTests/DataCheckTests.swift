import Foundation
import MLELearning
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
