import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// Predicts class 1 when x ≥ threshold.
private struct Threshold: Model {
    var threshold: Double
    var kind: String { "threshold" }
    var featureNames: [String] { ["x"] }
    var task: Task { .classification(classNames: ["0", "1"]) }
    var summary: String { "x ≥ \(threshold)" }
    func predict(_ x: Matrix) throws -> Prediction {
        var p = Matrix(rows: x.rows, cols: 2)
        for r in 0..<x.rows { p[r, Double(x[r, 0]) >= threshold ? 1 : 0] = 1 }
        return .probabilities(p)
    }
}

/// x = 0…9, class 1 for x ≥ 6.
private func line() throws -> Dataset {
    Dataset(
        name: "line", featureNames: ["x"], features: try Matrix(rows: 10, cols: 1, storage: (0..<10).map(Float.init)),
        targetName: "y", target: .classes(labels: (0..<10).map { $0 >= 6 ? 1 : 0 }, names: ["0", "1"]))
}

@Test func foldsPartitionTheRowsAndKeepClassShares() throws {
    let d = try line()
    let folds = HyperSearch.folds(d, k: 2, seed: 3)
    #expect(folds.joined().sorted() == Array(0..<10))
    // 6 of class 0 and 4 of class 1 dealt in turn: 3 + 2 in each fold.
    for f in folds { #expect(f.filter { $0 >= 6 }.count == 2 && f.count == 5) }
    #expect(HyperSearch.folds(d, k: 2, seed: 3) == folds)
}

@Test func gridAndFineGridEnumerateWhatTheyShould() {
    let space = [
        HyperSearch.Parameter(name: "a", choices: [.number(1), .number(2)]),
        HyperSearch.Parameter(name: "b", choices: [.sizes([8]), .sizes([16]), .sizes([32])])
    ]
    let g = HyperSearch.grid(space)
    #expect(g.count == 6 && Set(g.map { "\($0["a"]!)\($0["b"]!)" }).count == 6)
    // Log range [0.001, 1000]: a sixth of 6 decades is one decade.
    let ranged = [HyperSearch.Parameter(name: "c", choices: [], range: 0.001...1000, logScale: true)]
    let fine = HyperSearch.fineGrid(around: ["c": .number(1)], ranged).compactMap { $0["c"]?.number }
    #expect(fine.count == 2 && abs(fine[0] - 0.1) < 1e-12 && abs(fine[1] - 10) < 1e-9)
    // At the edge of the range the neighbours are clipped (and duplicates dropped).
    let edge = HyperSearch.fineGrid(around: ["c": .number(1000)], ranged).compactMap { $0["c"]?.number }
    #expect(edge.count == 1 && abs(edge[0] - 100) < 1e-9)
}

@Test func searchScoresCandidatesByCrossValidationAsByHand() throws {
    let d = try line()
    var s = HyperSearch.Settings()
    s.folds = 2; s.seed = 3
    let space = [HyperSearch.Parameter(name: "t", choices: [.number(6), .number(3), .number(8)])]
    let r = try HyperSearch.run(d, space: space, settings: s) { _, c, _ in Threshold(threshold: c["t"]?.number ?? 0) }
    // The threshold 6 is right on every row; 3 misclassifies x = 3, 4, 5; 8 misclassifies 6, 7.
    #expect(r.rows.map { $0.candidate["t"]?.number } == [6, 8, 3])
    #expect(r.rows[0].mean == 1 && r.rows[0].sd == 0)
    let folds = HyperSearch.folds(d, k: 2, seed: 3)
    let byHand3 = folds.map { f in Double(f.filter { !(3...5).contains($0) }.count) / Double(f.count) }
    #expect(abs(r.rows[2].mean - byHand3.reduce(0, +) / 2) < 1e-12)
    // Random search draws inside the range on a log scale; seeded.
    s.method = .random; s.trials = 50
    let logSpace = [HyperSearch.Parameter(name: "t", choices: [], range: 0.01...100, logScale: true)]
    let random = try HyperSearch.run(d, space: logSpace, settings: s) { _, c, _ in
        Threshold(threshold: c["t"]?.number ?? 0)
    }
    let drawn = random.rows.compactMap { $0.candidate["t"]?.number }
    #expect(drawn.count == 50 && drawn.allSatisfy { (0.01...100).contains($0) })
    #expect(drawn.filter { $0 < 1 }.count > 10 && drawn.filter { $0 > 1 }.count > 10)  // both halves of the log range
}

@Test func adversarialValidationTellsShiftedSetsApart() throws {
    #expect(AdversarialValidation.ks([1, 2, 3], [1, 2, 3]) == 0)
    // F_a − F_b at 2: 2/3 − 0 → KS = 2/3.
    #expect(abs(AdversarialValidation.ks([1, 2, 3], [2.5, 3, 4]) - 2.0 / 3) < 1e-12)
    var rng = SeededGenerator(seed: 1)
    func sample(_ n: Int, shift: Float) throws -> Dataset {
        var x = Matrix(rows: n, cols: 3)
        for r in 0..<n { for j in 0..<3 { x[r, j] = Float(rng.nextNormal()) + (j == 2 ? shift : 0) } }
        return Dataset(name: "s", featureNames: ["a", "b", "c"], features: x, targetName: nil, target: nil)
    }
    let logistic: (Dataset) throws -> any Model = { try LogisticTrainer.train($0, config: LogisticConfig()).model }
    let same = try AdversarialValidation.run(
        try sample(300, shift: 0), try sample(300, shift: 0), seed: 2, classifier: logistic)
    #expect(same.alike && abs(same.auc - 0.5) < 0.12, "AUC \(same.auc)")
    let shifted = try AdversarialValidation.run(
        try sample(300, shift: 0), try sample(300, shift: 2), seed: 2, classifier: logistic)
    #expect(!shifted.alike && shifted.auc > 0.9 && shifted.shifts.first?.feature == "c")
    // The most test-like training rows are those with the highest scores.
    let rows = AdversarialValidation.mostTestLike(shifted, share: 0.1)
    #expect(rows.count == 30)
    let threshold = shifted.trainScores.sorted(by: >)[29]
    #expect(rows.allSatisfy { shifted.trainScores[$0] >= threshold })
}
