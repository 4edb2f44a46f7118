import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

/// Labels with `counts[c]` rows of class c, interleaved by a seeded shuffle.
private func shuffledLabels(_ counts: [Int], seed: UInt64) -> [Int] {
    var labels = counts.enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) }
    var rng = SeededGenerator(seed: seed)
    rng.shuffle(&labels)
    return labels
}

@Test func bookChunksAreDisjointCoverTheMajorityOnceAndEachHoldsEveryMinorityRow() throws {
    // (minority, majority, H): the default H, H larger than the ratio (majority < H · minority),
    // a single chunk, H equal to the majority, sizes not divisible by H.
    let cases: [(Int, Int, Int?)] = [
        (10, 90, nil), (10, 95, nil), (7, 100, 3), (30, 50, 8), (12, 40, 1), (5, 9, 9),
        (1, 17, nil), (3, 4, 2), (50, 1000, 13), (8, 60, 60)
    ]
    for (i, (m, n, h)) in cases.enumerated() {
        for order in [false, true] {
            let counts = order ? [m, n] : [n, m]
            let minority = order ? 0 : 1, majority = 1 - minority
            let labels = shuffledLabels(counts, seed: UInt64(i))
            let members = h ?? EnsemblePlan.defaultMembers(counts)
            let plan = try EnsemblePlan.rows(
                labels: labels, classCount: 2, members: members, method: .chunks, seed: UInt64(100 + i))
            #expect(plan.count == members)
            let minorityRows = Set(labels.indices.filter { labels[$0] == minority })
            let majorityRows = labels.indices.filter { labels[$0] == majority }
            var seen: [Int] = []
            for rows in plan {
                #expect(Set(rows).count == rows.count)  // no row twice in a member
                #expect(minorityRows.isSubset(of: Set(rows)))  // every minority row
                seen += rows.filter { labels[$0] == majority }
            }
            #expect(seen.sorted() == majorityRows)  // majority once, disjoint
            let sizes = plan.map { $0.filter { labels[$0] == majority }.count }
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)  // chunks of equal size ± 1
            #expect(
                try plan
                    == EnsemblePlan.rows(
                        labels: labels, classCount: 2, members: members, method: .chunks, seed: UInt64(100 + i)))
        }
    }
    // The default H is the imbalance ratio, rounded.
    #expect(
        EnsemblePlan.defaultMembers([10, 90]) == 9 && EnsemblePlan.defaultMembers([10, 95]) == 10
            && EnsemblePlan.defaultMembers([30, 50]) == 2 && EnsemblePlan.defaultMembers([5, 5]) == 1)
    // Balanced classes have no majority to cut: every member gets every row.
    let even = try EnsemblePlan.rows(
        labels: shuffledLabels([6, 6], seed: 2), classCount: 2, members: 3, method: .chunks, seed: 1)
    #expect(even.allSatisfy { $0 == Array(0..<12) })
    // More chunks than majority rows is refused.
    #expect(throws: SettingError.self) {
        try EnsemblePlan.rows(
            labels: shuffledLabels([3, 5], seed: 1), classCount: 2, members: 6, method: .chunks, seed: 1)
    }
    #expect(throws: LearningError.self) {
        try EnsemblePlan.rows(labels: [0, 0, 0], classCount: 2, members: 2, method: .chunks, seed: 1)
    }
}

@Test func severalClassesAreEachCutIntoDisjointChunksAndTheSmallestIsEverywhere() throws {
    let counts = [200, 20, 90, 20, 41]  // two classes tie for the smallest
    let labels = shuffledLabels(counts, seed: 4)
    let plan = try EnsemblePlan.rows(labels: labels, classCount: 5, members: 10, method: .chunks, seed: 2)
    for c in 0..<5 {
        let all = labels.indices.filter { labels[$0] == c }
        let portions = plan.map { rows in rows.filter { labels[$0] == c } }
        if counts[c] == 20 {
            #expect(portions.allSatisfy { $0 == all })  // kept whole in every member
            continue
        }
        // The distinct portions are the class's chunks: disjoint, covering it once.
        let distinct = Array(Set(portions))
        #expect(distinct.flatMap { $0 }.sorted() == all)
        // About as large as the largest class's chunks (20 rows): 200 → 10 chunks, 90 → 5 of 18, 41 → 2.
        #expect(distinct.count == [10, 0, 5, 0, 2][c])
    }
}

@Test func easyEnsembleBagsDrawTheMinoritySizeWithoutReplacement() throws {
    let labels = shuffledLabels([300, 25], seed: 7)
    let bags = try EnsemblePlan.rows(labels: labels, classCount: 2, members: 6, method: .bags, seed: 3)
    let minority = Set(labels.indices.filter { labels[$0] == 1 })
    for b in bags {
        #expect(Set(b).count == b.count)
        #expect(minority.isSubset(of: Set(b)))
        #expect(b.filter { labels[$0] == 0 }.count == 25)
    }
    #expect(Set(bags).count == 6)  // independent draws differ
}

@Test func undersamplingAndOversamplingReachTheTargetCounts() throws {
    let labels = shuffledLabels([40, 10, 25], seed: 1)
    let x = try Matrix(labels.indices.map { [Float($0), Float(labels[$0])] })
    let d = Dataset(
        name: "d", featureNames: ["i", "c"], features: x, targetName: "y",
        target: .classes(labels: labels, names: ["a", "b", "c"]))
    let under = try Resampler.resample(d, method: .under, seed: 5)
    #expect(under.classCounts == [10, 10, 10])
    let ids = (0..<under.rowCount).map { Int(under.features[$0, 0]) }
    #expect(Set(ids).count == ids.count && ids == ids.sorted())  // original rows, no repeats
    for (r, id) in ids.enumerated() { #expect(try Resampler.label(under, r) == labels[id]) }
    let half = try Resampler.resample(d, method: .under, ratio: 0.5, seed: 5)
    #expect(half.classCounts == [20, 10, 20])
    let over = try Resampler.resample(d, method: .over, seed: 5)
    #expect(over.classCounts == [40, 40, 40])
    for r in 0..<over.rowCount {  // every row is an original row with its own label
        let id = Int(over.features[r, 0])
        #expect(labels[id] == (try Resampler.label(over, r)) && over.features[r, 1] == Float(labels[id]))
    }
    #expect((0..<d.rowCount).allSatisfy { Int(over.features[$0, 0]) == $0 })  // originals first, in order
    #expect(try Resampler.resample(d, method: .over, ratio: 0.5, seed: 5).classCounts == [40, 20, 25])
    #expect(throws: SettingError.self) { try Resampler.resample(d, method: .under, ratio: 0, seed: 1) }
}

extension Resampler {
    fileprivate static func label(_ d: Dataset, _ r: Int) throws -> Int {
        guard case .classes(let l, _)? = d.target else { throw LearningError.invalid("no classes") }
        return l[r]
    }
}

@Test func smotePointsLieOnSegmentsToOneOfTheKNearestMinorityNeighbours() throws {
    // 60 majority rows and 12 minority rows in 3 dimensions, random.
    var rng = SeededGenerator(seed: 11)
    let labels = Array(repeating: 0, count: 60) + Array(repeating: 1, count: 12)
    let x = try Matrix(labels.map { l in (0..<3).map { _ in Float(rng.nextNormal()) + Float(l) * 2 } })
    let d = Dataset(
        name: "d", featureNames: ["a", "b", "c"], features: x, targetName: "y",
        target: .classes(labels: labels, names: ["maj", "min"]))
    let k = 3
    let out = try Resampler.resample(d, method: .smote, neighbours: k, seed: 2)
    #expect(out.classCounts == [60, 60])
    #expect(Array(out.features.storage.prefix(x.storage.count)) == x.storage)  // originals unchanged, first
    // The k nearest minority neighbours of each minority row, by brute force here.
    let minority = labels.indices.filter { labels[$0] == 1 }
    func dist(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    }
    var neighbours: [Int: [Int]] = [:]
    for i in minority {
        neighbours[i] = Array(
            minority.filter { $0 != i }.sorted { dist(x.row(i), x.row($0)) < dist(x.row(i), x.row($1)) }.prefix(k))
    }
    var usedPairs = Set<[Int]>()
    for r in x.rows..<out.rowCount {
        let s = out.features.row(r)
        #expect(try Resampler.label(out, r) == 1)
        // Some row i and neighbour j with s = x_i + u (x_j − x_i), u ∈ [0, 1].
        var found = false
        for i in minority {
            for j in neighbours[i] ?? [] {
                let a = x.row(i), b = x.row(j)
                let ab = zip(a, b).map { Double($1 - $0) }
                let len2 = ab.reduce(0) { $0 + $1 * $1 }
                let u = zip(zip(s, a).map { Double($0 - $1) }, ab).reduce(0) { $0 + $1.0 * $1.1 } / len2
                guard u >= -1e-6, u <= 1 + 1e-6 else { continue }
                let off = zip(s, zip(a, ab)).reduce(0.0) { acc, t in
                    let e = Double(t.0) - (Double(t.1.0) + u * t.1.1)
                    return acc + e * e
                }
                if off < 1e-9 { found = true; usedPairs.insert([i, j]) }
            }
        }
        #expect(found, "synthetic row \(r) lies on no segment to a k-nearest neighbour")
    }
    #expect(usedPairs.count > 10)  // many segments used, not one
    // Categorical columns and gaps are refused; a lone minority row has no neighbour.
    var cat = d
    cat.columnKinds = [.numeric, .categorical(levels: ["x"]), .numeric]
    #expect(throws: LearningError.self) { try Resampler.resample(cat, method: .smote, seed: 1) }
    let lone = Dataset(
        name: "d", featureNames: ["a"], features: try Matrix([[0], [1], [2]]), targetName: "y",
        target: .classes(labels: [0, 0, 1], names: ["a", "b"]))
    #expect(throws: LearningError.self) { try Resampler.resample(lone, method: .smote, seed: 1) }
}

/// A classifier that returns fixed probabilities row by row.
private struct Fixed: Model {
    let rows: [[Float]]
    var kind: String { "fixed" }
    var featureNames: [String] { ["x"] }
    var task: Task { .classification(classNames: ["a", "b", "c"].prefix(rows[0].count).map { $0 }) }
    var summary: String { "fixed" }
    func predict(_ x: Matrix) throws -> Prediction { .probabilities(try Matrix(Array(rows.prefix(x.rows)))) }
}

@Test func softVoteAveragesAndHardVoteCountsWithTiesToTheHigherMeanProbability() throws {
    let data = Dataset(
        name: "d", featureNames: ["x"], features: try Matrix([[0], [0], [0]]), targetName: "y",
        target: .classes(labels: [0, 1, 2], names: ["a", "b", "c"]))
    let m1 = Fixed(rows: [[0.6, 0.3, 0.1], [0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
    let m2 = Fixed(rows: [[0.2, 0.7, 0.1], [0.0, 0.1, 0.9], [0.1, 0.1, 0.8]])
    let m3 = Fixed(rows: [[0.5, 0.4, 0.1], [0.4, 0.3, 0.3], [0.3, 0.4, 0.3]])
    let soft = try EnsembleModel(members: [m1, m2, m3], vote: .soft, data: data, method: .chunks)
    guard case .probabilities(let p) = try soft.predict(data) else { Issue.record("no probabilities"); return }
    let expected: [Float] = [1.3 / 3, 1.4 / 3, 0.3 / 3, 0.5 / 3, 0.9 / 3, 1.6 / 3, 0.6 / 3, 0.7 / 3, 1.7 / 3]
    for (a, b) in zip(p.storage, expected) { #expect(abs(a - b) < 1e-6) }
    let hard = try EnsembleModel(members: [m1, m2, m3], vote: .hard, data: data, method: .chunks)
    // Row 0: votes a, b, a → a. Row 1: b, c, a → a three-way tie, c has the highest mean (1.6/3).
    // Row 2: c, c, b → c.
    #expect(try hard.predict(data).predictedClasses == [0, 2, 2])
    guard case .probabilities(let v) = try hard.predict(data) else { Issue.record("no probabilities"); return }
    #expect(abs(v[0, 0] - 2.0 / 3) < 1e-6 && abs(v[2, 2] - 2.0 / 3) < 1e-6)
    // Two members tied one-one: the higher mean probability wins.
    let two = try EnsembleModel(
        members: [Fixed(rows: [[0.9, 0.1]]), Fixed(rows: [[0.4, 0.6]])], vote: .hard,
        data: Dataset(
            name: "d", featureNames: ["x"], features: try Matrix([[0]]), targetName: "y",
            target: .classes(labels: [0], names: ["a", "b"])), method: .chunks)
    #expect(try two.predict(try Matrix([[0]])).predictedClasses == [0])
}

@Test func membersTrainedInParallelEqualMembersTrainedOneAfterAnother() throws {
    var settings = Generator.Settings()
    settings.rows = 400; settings.features = 5; settings.informative = 3; settings.weights = [0.85, 0.15];
    settings.seed = 3
    let data = try Generator.classification(settings)
    guard case .classes(let labels, let names)? = data.target else { Issue.record("no classes"); return }
    let plan = try EnsemblePlan.rows(labels: labels, classCount: names.count, members: 4, method: .chunks, seed: 1)
    let sets = try plan.map { try data.subset($0, name: "m") }
    var config = MLPConfig()
    config.hidden = [8]; config.epochs = 5
    let c = config
    let train: @Sendable (Dataset, UInt64, Cancellation) throws -> any Model = { d, seed, _ in
        var k = c; k.seed = seed
        return try MLPTrainer.train(d, config: k).model
    }
    let parallel = try EnsemblePlan.trainMembers(sets, seed: 9, workers: 2, train: train)
    let sequential = try EnsemblePlan.trainMembers(sets, seed: 9, workers: 1, train: train)
    for (a, b) in zip(parallel, sequential) {
        guard case .probabilities(let pa) = try a.predict(data), case .probabilities(let pb) = try b.predict(data)
        else { continue }
        #expect(pa == pb)
    }
    // Cancellation stops the work.
    #expect(throws: Cancelled.self) {
        try EnsemblePlan.trainMembers(
            sets, seed: 9, context: ExecutionContext(cancellation: Cancellation { true }), train: train)
    }
}

@Test func priorCorrectionFollowsBayesRuleAndDalPozzolosFormula() throws {
    let base = Fixed(rows: [[0.5, 0.5], [0.8, 0.2], [0.1, 0.9]])
    // Trained on balanced data, deployed where class b has share 0.1.
    let fixed = try PriorCorrectedModel(base: base, trainedShares: [0.5, 0.5], deployedShares: [0.9, 0.1])
    guard case .probabilities(let p) = try fixed.predict(try Matrix([[0], [0], [0]])) else {
        Issue.record("no probabilities"); return
    }
    // p_b' = p_b · 0.2 / (p_b · 0.2 + p_a · 1.8): 0.1, 0.2·0.2/(0.04+1.44), 0.18/(0.18+0.18).
    #expect(abs(p[0, 1] - 0.1) < 1e-6)
    #expect(abs(p[1, 1] - Float(0.04 / 1.48)) < 1e-6)
    #expect(abs(p[2, 1] - 0.5) < 1e-6)
    // Undersampling the majority with keep-rate β: p' = β p / (β p − p + 1) for the minority.
    let beta = 0.25, ps = 0.7
    let under = try PriorCorrectedModel(
        base: Fixed(rows: [[Float(1 - ps), Float(ps)]]),
        trainedShares: [100 * beta / (100 * beta + 20), 20 / (100 * beta + 20)],
        deployedShares: [100.0 / 120, 20.0 / 120])
    guard case .probabilities(let q) = try under.predict(try Matrix([[0]])) else {
        Issue.record("no probabilities"); return
    }
    #expect(abs(Double(q[0, 1]) - beta * ps / (beta * ps - ps + 1)) < 1e-6)
}

@Test func movedThresholdDecidesAtTheThresholdAndKeepsTheRanking() throws {
    let base = Fixed(rows: [[0.9, 0.1], [0.8, 0.2], [0.75, 0.25], [0.7, 0.3], [0.2, 0.8]])
    let tuned = try ThresholdModel(base: base, positive: 1, threshold: 0.25)
    let x = try Matrix([[0], [0], [0], [0], [0]])
    #expect(try tuned.predict(x).predictedClasses == [0, 0, 1, 1, 1])  // 0.25 itself counts as positive
    guard case .probabilities(let p) = try tuned.predict(x) else { Issue.record("no probabilities"); return }
    let scores = (0..<5).map { p[$0, 1] }
    #expect(scores == scores.sorted())  // order kept
    #expect(throws: LearningError.self) {
        try ThresholdModel(base: Fixed(rows: [[0.2, 0.3, 0.5]]), positive: 1, threshold: 0.5)
    }
}
