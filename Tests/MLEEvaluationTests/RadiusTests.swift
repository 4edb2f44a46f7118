import Foundation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

@testable import MLEEvaluation

/// Logits (x1 + 10, x2 + 10) through two ReLUs that stay active for |x| < 10: the label changes
/// on the line x1 = x2, so at (1, 0) the radius is 1/√2 in L2 and 1/2 in L∞.
private func diagonalClassifier() throws -> MLP {
    MLP(
        layers: [
            DenseLayer(weight: try Matrix([[1, 0], [0, 1]]), bias: [10, 10]),
            DenseLayer(weight: try Matrix([[1, 0], [0, 1]]), bias: [0, 0])
        ],
        standardizer: Standardizer(mean: [0, 0], scale: [1, 1]), featureNames: ["x1", "x2"],
        task: .classification(classNames: ["a", "b"]))
}

@Test func radiusBracketsTheDistanceToTheDecisionBoundary() throws {
    let net = try diagonalClassifier()
    for (norm, truth) in [(PerturbationNorm.l2, 1 / 2.0.squareRoot()), (.linf, 0.5)] {
        var s = RadiusSettings()
        s.norm = norm
        let r = try #require(LabelRadius.measure(net, x: try Matrix([[1, 0], [0, 3]]), settings: s).first)
        #expect(r.label == 0 && r.flippedTo == 1)
        let attacked = try #require(r.attacked)
        #expect(r.certified <= truth && truth <= attacked)
        #expect(
            abs(r.certified - truth) < 2e-3 * truth && abs(attacked - truth) < 2e-3 * truth,
            "\(norm): [\(r.certified), \(attacked)]")
    }
    // The second row: label b with margin 3, radius 3/√2.
    let second = try LabelRadius.measure(net, x: try Matrix([[1, 0], [0, 3]]), settings: RadiusSettings())[1]
    #expect(second.label == 1 && abs(second.certified - 3 / 2.0.squareRoot()) < 5e-3)
}

@Test func radiusOnTrainedNetworksIsSoundAndItsCounterexamplesFlip() throws {
    let (net, test) = try trainedClassifier(hidden: [16, 16], seed: 4)
    let x = try test.features.gatherRows(Array(0..<30))
    for norm in PerturbationNorm.allCases {
        var s = RadiusSettings()
        s.norm = norm; s.units = .raw; s.steps = 30; s.restarts = 3; s.seed = 4; s.tolerance = 0.01
        let results = try LabelRadius.measure(net, x: x, settings: s)
        var rng = SeededGenerator(seed: 9)
        let labels = try #require(try net.predict(x).predictedClasses)
        for r in results {
            #expect(r.label == labels[r.row])
            if let attacked = r.attacked, let point = r.counterexample {
                #expect(r.certified <= attacked)
                // The counterexample is at the reported distance and really changes the label.
                #expect(abs(LabelRadius.distance(point, x.row(r.row), norm) - attacked) < 1e-4 * (1 + attacked))
                let flipped = try #require(try net.predict(try Matrix([point])).predictedClasses?.first)
                #expect(flipped != r.label && flipped == r.flippedTo)
            }
            // No random point within the certified radius changes the label.
            guard r.certified > 0 else { continue }
            var batch = Matrix(rows: 400, cols: x.cols)
            for s in 0..<400 {
                let offset = Robustness.sampleOffset(
                    d: x.cols, delta: Float(r.certified), norm: norm, surface: s % 2 == 0, rng: &rng)
                for j in 0..<x.cols { batch[s, j] = x[r.row, j] + offset[j] * 0.9999 }
            }
            let classes = try #require(try net.predict(batch).predictedClasses)
            #expect(
                classes.allSatisfy { $0 == r.label },
                "row \(r.row): a point within the certified radius \(r.certified) changes the label")
        }
        #expect(results.filter { $0.attacked != nil }.count > 20)
    }
}

@Test func radiusRefusesRegressionAndBadSettings() throws {
    let reg = try twoUnitNetwork()
    #expect(throws: RobustError.self) {
        try LabelRadius.measure(reg, x: try Matrix([[0, 0]]), settings: RadiusSettings())
    }
    var s = RadiusSettings()
    s.tolerance = 0
    #expect(throws: SettingError.self) {
        try LabelRadius.measure(try diagonalClassifier(), x: try Matrix([[1, 0]]), settings: s)
    }
}

@Test func sensitivityIsTheJacobianColumnNormByFiniteDifferences() throws {
    let (net, test) = try trainedClassifier(hidden: [12], seed: 6)
    let x = try test.features.gatherRows(Array(0..<10))
    for output in RobustOutput.allCases {
        var s = RobustSettings()
        s.output = output
        let f = try Robustness.sensitivity(net, x: x, results: [], settings: s)
        #expect(f.displacementShare == nil)
        // Central differences of the measured output, in standardised units: x_j ± h·scale_j.
        let h: Float = 1e-2
        for j in 0..<x.cols {
            var mean = 0.0
            for r in 0..<x.rows {
                var plus = try Matrix([x.row(r)]), minus = plus
                plus[0, j] += h * net.standardizer.scale[j]; minus[0, j] -= h * net.standardizer.scale[j]
                let a = Robustness.measured(try net.outputs(standardized: net.standardizer.apply(plus)), net, output)
                let b = Robustness.measured(try net.outputs(standardized: net.standardizer.apply(minus)), net, output)
                var sq = 0.0
                for c in 0..<a.cols { let g = (Double(a[0, c]) - Double(b[0, c])) / Double(2 * h); sq += g * g }
                mean += sq.squareRoot() / Double(x.rows)
            }
            #expect(
                abs(mean - f.gradient[j]) < 2e-3 * (1 + f.gradient[j]),
                "\(output) feature \(j): \(mean) vs \(f.gradient[j])")
        }
    }
}
