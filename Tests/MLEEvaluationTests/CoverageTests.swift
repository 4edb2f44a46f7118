import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import MLETestSupport
import Testing

// MARK: - A network small enough to compute by hand

/// 2 inputs → 3 ReLU units → 2 logits, inputs used as they are (identity standardiser):
///   h1 = relu(x1), h2 = relu(x2), h3 = relu(x1 + x2 − 3);  logit0 = h1 + 2·h3, logit1 = h2.
/// A = (1, 0): h = (1, 0, 0), predicts 0.  B = (0, 1): h = (0, 1, 0), predicts 1.
/// C = (2, 2): h = (2, 2, 1), logits (4, 2), predicts 0 — and its true class is 1, so C is
/// the only input activating h3 and it is predicted wrongly: the book's loop must not count it.
func handNetwork() throws -> MLP {
    let hidden = DenseLayer(weight: try Matrix([[1, 0, 1], [0, 1, 1]]), bias: [0, 0, -3])
    let output = DenseLayer(weight: try Matrix([[1, 0], [0, 1], [2, 0]]), bias: [0, 0])
    return MLP(
        layers: [hidden, output], standardizer: Standardizer(mean: [0, 0], scale: [1, 1]),
        featureNames: ["x1", "x2"], task: .classification(classNames: ["zero", "one"]))
}

let handInputs: [[Float]] = [[1, 0], [0, 1], [2, 2]]
let handTruth = [0, 1, 1]

func handAnalysis(_ configure: (inout CoverageSettings) -> Void, profile: UnitProfile? = nil, seed: UInt64 = 3) throws
    -> CoverageAnalysis
{
    var s = CoverageSettings()
    s.seed = seed
    configure(&s)
    return try Coverage.analyse(
        try handNetwork(), x: try Matrix(handInputs), truth: handTruth, settings: s, profile: profile)
}

func value(_ a: CoverageAnalysis, _ c: CoverageCriterion) -> Int? { a.criteria.first { $0.criterion == c }?.covered }

@Test func bookLoopCountsOnlyCorrectlyPredictedInputs() throws {
    for seed in UInt64(0)..<6 {
        let a = try handAnalysis({ _ in }, seed: seed)
        #expect(a.units == 3)
        #expect(a.covered == 2)  // h1 by A, h2 by B; h3 only by the wrong C
        #expect(a.uncovered == [NetworkUnit(layer: 0, index: 2)])
        #expect(!a.reachedTarget)
        #expect(a.examplesUsed == 3)
        #expect(a.skippedWrong == 1)
        #expect(a.wrong == 1)
        // The curve: +1 when A or B is fed, +0 for C.
        let expected = a.order.reduce(into: [Double]()) { curve, row in
            curve.append((curve.last ?? 0) + (row == 2 ? 0 : 1.0 / 3))
        }
        for (g, e) in zip(a.growth, expected) { #expect(abs(g - e) < 1e-12) }
    }
    // Every input counts (DeepXplore): all three units.
    let all = try handAnalysis { $0.inputs = .all }
    #expect(all.covered == 3 && all.reachedTarget)
}

@Test func bookLoopStopsAtTheTarget() throws {
    for seed in UInt64(0)..<6 {
        let a = try handAnalysis({ $0.target = 2.0 / 3 }, seed: seed)
        // Stops once both A and B have been fed.
        let lastOfAB = max(a.order.firstIndex(of: 0)!, a.order.firstIndex(of: 1)!)
        #expect(a.reachedTarget)
        #expect(a.examplesUsed == lastOfAB + 1)
        #expect(a.growth.count == lastOfAB + 1)
        #expect(a.skippedWrong == (a.order.firstIndex(of: 2)! < lastOfAB ? 1 : 0))
    }
}

@Test func deepXploreScaledRuleAndPreActivationValues() throws {
    // Scaled within the layer: A (1,0,0) → h1; B (0,1,0) → h2; C (2,2,1) → (1,1,0): h3 never above 0.5.
    let scaled = try handAnalysis {
        $0.inputs = .all; $0.rule = .scaled(0.5)
    }
    #expect(scaled.covered == 2 && scaled.uncovered == [NetworkUnit(layer: 0, index: 2)])
    // Pre-activation values: h3's are −2, −2, 1; above −2.5 for every input, so A alone covers all.
    let pre = try handAnalysis {
        $0.values = .pre; $0.rule = .threshold(-2.5)
    }
    #expect(pre.covered == 3 && pre.examplesUsed == 1)
    // Post-activation values are never below 0, so the same threshold also covers all at once.
    let post = try handAnalysis { $0.rule = .threshold(-2.5) }
    #expect(post.covered == 3 && post.examplesUsed == 1)
    // Pre-activation above 0.5: h1 by A, h2 by B, h3 only by C (wrong).
    let preHalf = try handAnalysis {
        $0.values = .pre; $0.rule = .threshold(0.5)
    }
    #expect(preHalf.covered == 2)
    // Layers: the output layer alone (logits A (1,0), B (0,1)): both logits above 0 somewhere.
    let output = try handAnalysis { $0.layers = [1] }
    #expect(output.units == 2 && output.covered == 2)
}

@Test func deepGaugeCriteriaByHand() throws {
    // Ranges [0, 2] for every unit, k = 4 sections of width 0.5.
    let wide = UnitProfile(
        rows: 3, preLow: [[-3, -3, -3], [0, 0]], preHigh: [[3, 3, 3], [5, 5]],
        postLow: [[0, 0, 0], [0, 0]], postHigh: [[2, 2, 2], [5, 5]],
        featureLow: [0, 0], featureHigh: [2, 2])
    // All inputs: h1 hits sections {2 (A: 1), 0 (B: 0), 3 (C: 2 = high)}, h2 {0, 2, 3}, h3 {0, 2}.
    let all = try handAnalysis(
        {
            $0.inputs = .all; $0.sections = 4
        }, profile: wide)
    #expect(value(all, .kmnc) == 8)
    #expect(all.criteria.first { $0.criterion == .kmnc }?.total == 12)
    // Correct inputs only: h1 {2, 0}, h2 {0, 2}, h3 {0}.
    let correct = try handAnalysis({ $0.sections = 4 }, profile: wide)
    #expect(value(correct, .kmnc) == 5)
    #expect(value(all, .nbc) == 0 && value(all, .snac) == 0)
    // h3's training range a single point [0, 0]: DeepGauge's sections of it are empty, so A's and
    // B's h3 = 0 hit no section (h1 and h2 still hit 3 each) and C's h3 = 1 lies above it.
    let point = UnitProfile(
        rows: 3, preLow: wide.preLow, preHigh: wide.preHigh,
        postLow: [[0, 0, 0], [0, 0]], postHigh: [[2, 2, 0], [5, 5]],
        featureLow: [0, 0], featureHigh: [2, 2])
    let single = try handAnalysis(
        {
            $0.inputs = .all; $0.sections = 4
        }, profile: point)
    #expect(value(single, .kmnc) == 6)
    #expect(value(single, .snac) == 1)
    #expect(single.degenerateRanges == 1)

    // Narrow upper bounds [1.5, 1.5, 0.5]: C exceeds all three; A and B none.
    let narrow = UnitProfile(
        rows: 3, preLow: wide.preLow, preHigh: wide.preHigh,
        postLow: [[0, 0, 0], [0, 0]], postHigh: [[1.5, 1.5, 0.5], [5, 5]],
        featureLow: [0, 0], featureHigh: [2, 2])
    let boundary = try handAnalysis({ $0.inputs = .all }, profile: narrow)
    #expect(value(boundary, .snac) == 3)
    #expect(value(boundary, .nbc) == 3)
    #expect(boundary.criteria.first { $0.criterion == .nbc }?.total == 6)
    #expect(value(try handAnalysis({ _ in }, profile: narrow), .snac) == 0)
    // Below the low end (pre-activation values, low −1): A and B give h3 = −2 < −1.
    let low = UnitProfile(
        rows: 3, preLow: [[-3, -3, -1], [0, 0]], preHigh: [[3, 3, 3], [5, 5]],
        postLow: wide.postLow, postHigh: wide.postHigh, featureLow: [0, 0], featureHigh: [2, 2])
    let below = try handAnalysis({ $0.values = .pre }, profile: low)
    #expect(value(below, .nbc) == 1 && value(below, .snac) == 0)

    // Top-1: A → h1, B → h2, C → tie of h1 and h2 goes to h1.
    #expect(
        value(
            try handAnalysis {
                $0.inputs = .all; $0.top = 1
            }, .tknc) == 2)
    #expect(
        value(
            try handAnalysis {
                $0.inputs = .all; $0.top = 3
            }, .tknc) == 3)
    // A top beyond every layer's width puts every unit in it, without buffers of that size.
    #expect(
        value(
            try handAnalysis {
                $0.inputs = .all; $0.top = 1_000_000_000
            }, .tknc) == 3)
    // Without a profile the range criteria are left out.
    #expect(value(try handAnalysis { _ in }, .kmnc) == nil)
}

@Test func deadUnitsFromProfileAndFromData() throws {
    let net = try handNetwork()
    let profile = try UnitProfile.measure(net, on: try Matrix([[1, 0], [0, 1]]))
    #expect(profile.postHigh[0] == [1, 1, 0])
    #expect(profile.preLow[0] == [0, 0, -2])
    #expect(profile.featureLow == [0, 0] && profile.featureHigh == [1, 1])
    var s = CoverageSettings()
    #expect(Coverage.deadUnits(profile: profile, layers: [0], settings: s) == [NetworkUnit(layer: 0, index: 2)])
    #expect(
        try Coverage.deadUnits(net, x: try Matrix([[1, 0], [0, 1]]), settings: s) == [NetworkUnit(layer: 0, index: 2)])
    #expect(try Coverage.deadUnits(net, x: try Matrix(handInputs), settings: s).isEmpty)
    s.rule = .scaled(0)
    #expect(Coverage.deadUnits(profile: profile, layers: [0], settings: s) == nil)
}

@Test func saturationIsFlaggedWithinTheFirstPercent() {
    func result(_ curve: [Int]) -> CriterionResult {
        CriterionResult(criterion: .neuron, covered: curve.last ?? 0, total: 10, curve: curve)
    }
    #expect(result([5] + [Int](repeating: 5, count: 99)).saturatesEarly)  // 1 of 100
    #expect(!result([4, 5] + [Int](repeating: 5, count: 98)).saturatesEarly)  // 2 of 100
    #expect(result([4, 5] + [Int](repeating: 5, count: 148)).saturatesEarly)  // 2 of 150: 1% is 1.5
    #expect(!result([Int](repeating: 0, count: 100)).saturatesEarly)  // nothing covered
    #expect(result([0, 0, 3, 3]).examplesToFinal == 3)
}

@Test func coverageRejectsBadSettings() throws {
    #expect(settingOf { _ = try handAnalysis { $0.target = 0 } } == "target")
    #expect(settingOf { _ = try handAnalysis { $0.layers = [2] } } == "layers")
    #expect(settingOf { _ = try handAnalysis { $0.layers = [] } } == "layers")
    #expect(throws: CoverageError.self) {
        try Coverage.analyse(
            try handNetwork(), x: try Matrix([[1, 2, 3]]), truth: [0], settings: CoverageSettings(), profile: nil)
    }
    let regression = MLP(
        layers: try handNetwork().layers, standardizer: Standardizer(mean: [0, 0], scale: [1, 1]),
        featureNames: ["x1", "x2"], task: .regression)
    #expect(throws: SettingError.self) {
        try Coverage.analyse(
            regression, x: try Matrix(handInputs), truth: nil, settings: CoverageSettings(), profile: nil)
    }
}

// MARK: - A trained network against a plain re-computation

/// Three Gaussian blobs in 4-D.
func blobs(rows: Int, seed: UInt64) -> Dataset {
    var rng = SeededGenerator(seed: seed)
    var x = Matrix(rows: rows, cols: 4)
    var labels: [Int] = []
    for r in 0..<rows {
        let c = r % 3
        labels.append(c)
        for j in 0..<4 { x[r, j] = Float(rng.nextNormal()) + (j == c ? 1.5 : 0) }
    }
    return Dataset(
        name: "blobs", featureNames: ["a", "b", "c", "d"], features: x, targetName: "y",
        target: .classes(labels: labels, names: ["p", "q", "r"]))
}

/// A network trained on blobs, and a test set of other blobs from the same distribution
/// (other rows than the profile was measured on, so no value sits exactly on a range's end).
func trainedNetwork() throws -> (MLP, Dataset) {
    let data = blobs(rows: 300, seed: 11)
    var config = MLPConfig()
    config.hidden = [12, 8]
    config.epochs = 15
    config.seed = 5
    return (try MLPTrainer.train(data, config: config).model, blobs(rows: 200, seed: 12))
}

/// One row through the network with plain loops (no BLAS): each layer's pre and post values.
func plainForward(_ net: MLP, _ raw: [Float]) -> [(pre: [Float], post: [Float])] {
    var a = (0..<raw.count).map { (raw[$0] - net.standardizer.mean[$0]) / net.standardizer.scale[$0] }
    var out: [(pre: [Float], post: [Float])] = []
    for (l, layer) in net.layers.enumerated() {
        var z = layer.bias
        for o in 0..<layer.outputs { for i in 0..<layer.inputs { z[o] += a[i] * layer.weight[i, o] } }
        let post = l < net.layers.count - 1 ? z.map { max($0, 0) } : z
        out.append((z, post))
        a = post
    }
    return out
}

@Test func everyCriterionMatchesAPlainLoopOnATrainedNetwork() throws {
    let (net, data) = try trainedNetwork()
    guard case .classes(let labels, _)? = data.target, let profile = net.profile else { Issue.record("setup"); return }
    let rows = (0..<data.rowCount).map { data.features.row($0) }
    let plain = rows.map { plainForward(net, $0) }
    let correct = plain.enumerated().map { r, values -> Bool in
        let logits = values.last!.post
        return logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) } == labels[r]
    }
    for inputs in CoverageInputs.allCases {
        for values in ActivationValues.allCases {
            for rule in [ActivationRule.threshold(0), .threshold(0.8), .scaled(0.3)] {
                var s = CoverageSettings()
                s.inputs = inputs; s.values = values; s.rule = rule; s.sections = 20; s.top = 3; s.seed = 9
                let a = try Coverage.analyse(net, x: data.features, truth: labels, settings: s, profile: profile)
                let counted = (0..<rows.count).filter { inputs == .all || correct[$0] }
                var neuron = 0, sections = 0, upper = 0, lower = 0, top = 0
                for l in [0, 1] {
                    for j in 0..<net.layers[l].outputs {
                        let lo = values == .post ? profile.postLow[l][j] : profile.preLow[l][j]
                        let hi = values == .post ? profile.postHigh[l][j] : profile.preHigh[l][j]
                        var hit = Set<Int>()
                        var active = false, above = false, below = false, inTop = false
                        for r in counted {
                            let layerValues = values == .post ? plain[r][l].post : plain[r][l].pre
                            let v = layerValues[j]
                            switch rule {
                            case .threshold(let t): if v > t { active = true }
                            case .scaled(let t):
                                let mn = layerValues.min()!, mx = layerValues.max()!
                                if mx > mn, (v - mn) / (mx - mn) > t { active = true }
                            }
                            if v > hi {
                                above = true
                            } else if v < lo {
                                below = true
                            } else if hi > lo {
                                hit.insert(min(19, Int((v - lo) / (hi - lo) * 20)))
                            }
                            let rank = layerValues.indices.filter {
                                layerValues[$0] > v || (layerValues[$0] == v && $0 < j)
                            }.count
                            if rank < 3 { inTop = true }
                        }
                        neuron += active ? 1 : 0; sections += hit.count; upper += above ? 1 : 0
                        lower += below ? 1 : 0; top += inTop ? 1 : 0
                    }
                }
                #expect(value(a, .neuron) == neuron, "neuron \(inputs) \(values) \(rule)")
                #expect(value(a, .kmnc) == sections, "kmnc \(inputs) \(values)")
                #expect(value(a, .snac) == upper, "snac \(inputs) \(values)")
                #expect(value(a, .nbc) == upper + lower, "nbc \(inputs) \(values)")
                #expect(value(a, .tknc) == top, "tknc \(inputs) \(values)")
                #expect(a.wrong == correct.filter { !$0 }.count)
                for c in a.criteria {
                    #expect(c.curve.count == rows.count && c.curve.last == c.covered)
                    #expect(zip(c.curve, c.curve.dropFirst()).allSatisfy { $0 <= $1 })
                }
            }
        }
    }
}

@Test func profileMatchesAPlainLoop() throws {
    let (net, _) = try trainedNetwork()
    let data = blobs(rows: 300, seed: 11)
    guard let p = net.profile else { Issue.record("training keeps a profile"); return }
    #expect(p.rows == data.rowCount)
    let plain = (0..<data.rowCount).map { plainForward(net, data.features.row($0)) }
    for l in net.layers.indices {
        for j in 0..<net.layers[l].outputs {
            let pre = plain.map { $0[l].pre[j] }, post = plain.map { $0[l].post[j] }
            #expect(abs(p.preLow[l][j] - pre.min()!) < 1e-4 && abs(p.preHigh[l][j] - pre.max()!) < 1e-4)
            #expect(abs(p.postLow[l][j] - post.min()!) < 1e-4 && abs(p.postHigh[l][j] - post.max()!) < 1e-4)
        }
    }
    #expect(p.featureLow[0] == (0..<data.rowCount).map { data.features[$0, 0] }.min())
}

@Test func inputGradientMatchesFiniteDifferences() throws {
    let (net, data) = try trainedNetwork()
    let x = try net.standardizer.apply(try data.features.gatherRows([0, 1, 2, 3, 4]))
    for layer in net.layers.indices {
        let width = net.layers[layer].outputs
        var rng = SeededGenerator(seed: UInt64(layer + 1))
        var seed = Matrix(rows: x.rows, cols: width)
        for i in seed.storage.indices { seed.storage[i] = Float(rng.nextNormal()) }
        let g = try net.inputGradient(layer: layer, seed: seed, values: try net.forward(standardized: x))
        func objective(_ m: Matrix) throws -> Double {
            let v = try net.forward(standardized: m)[layer].pre
            return zip(v.storage, seed.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let h: Float = 1e-2
        for r in 0..<x.rows {
            for j in 0..<x.cols {
                var plus = x, minus = x
                plus[r, j] += h; minus[r, j] -= h
                let numeric = (try objective(plus) - objective(minus)) / Double(2 * h)
                // Away from ReLU kinks the central difference is exact up to rounding.
                #expect(
                    abs(numeric - Double(g[r, j])) < 2e-2 * max(1, abs(numeric)), "layer \(layer) row \(r) feature \(j)"
                )
            }
        }
    }
}

@Test func searchFindsInputsThatActivateTheUnitInsideTheTrainingBox() throws {
    let (net, data) = try trainedNetwork()
    guard let profile = net.profile else { Issue.record("profile"); return }
    // A threshold above every training value: units no training row activates.
    var s = CoverageSettings()
    s.inputs = .all
    s.rule = .threshold(0)
    let highs = profile.postHigh[0]
    let unit = NetworkUnit(layer: 0, index: highs.indices.max { highs[$0] < highs[$1] }!)
    let t = highs[unit.index] * 1.05
    var settings = UnitSearchSettings()
    settings.steps = 400
    let found = try UnitSearch.search(
        net, x: data.features, units: [unit], rule: .threshold(t), values: .post,
        box: (profile.featureLow.map { $0 - 2 }, profile.featureHigh.map { $0 + 2 }),
        settings: settings)
    #expect(found.count == 1)
    let f = found[0]
    #expect(f.found)
    // Independently: the unit's value at the input found is above t, and the input is in the box.
    let v = plainForward(net, f.input)[0].post[unit.index]
    #expect(v > t)
    #expect(abs(v - f.value) < 1e-3)
    for j in f.input.indices {
        #expect(f.input[j] >= profile.featureLow[j] - 2 && f.input[j] <= profile.featureHigh[j] + 2)
    }
    // The distance is measured in standardised units from the starting row.
    let start = data.features.row(f.startRow)
    let d = zip(f.input, start).enumerated().reduce(0.0) { acc, e in
        let diff = Double((e.element.0 - e.element.1) / net.standardizer.scale[e.offset])
        return acc + diff * diff
    }.squareRoot()
    #expect(abs(d - f.distance) < 1e-3)
    // A box of a single point cannot move: nothing found, distance 0.
    let point = data.features.row(0)
    let stuck = try UnitSearch.search(
        net, x: data.features.gatherRows([0]), units: [unit], rule: .threshold(1e6), values: .post,
        box: (point, point), settings: UnitSearchSettings())
    #expect(!stuck[0].found && stuck[0].distance == 0)
}

@Test func everyInputWrongCoversNothingWithoutCrashing() throws {
    // Truths the network gets wrong on all three inputs (it predicts 0, 1, 0).
    var s = CoverageSettings()
    s.seed = 1
    let a = try Coverage.analyse(
        try handNetwork(), x: try Matrix(handInputs), truth: [1, 0, 1], settings: s,
        profile: try UnitProfile.measure(try handNetwork(), on: try Matrix(handInputs)))
    #expect(a.covered == 0 && a.wrong == 3 && a.skippedWrong == 3 && a.examplesUsed == 3)
    #expect(a.growth == [0, 0, 0])
    #expect(a.criteria.allSatisfy { $0.covered == 0 && $0.curve == [0, 0, 0] })
}
