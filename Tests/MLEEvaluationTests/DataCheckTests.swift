import Foundation
import Testing
@testable import MLEEvaluation
import MLELearning

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
    let d = try Dataset.load(path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets/iris.csv").path, targetName: "species")
    let c = try DataCheck.run(d, leakage: 0.99)
    #expect(c.constantColumns.isEmpty && c.missingCells == 0 && c.strongPredictors.isEmpty)
    #expect(c.duplicateRows == 1)   // iris has one exact duplicate row (143 repeats 102) — a known fact of the dataset
}
