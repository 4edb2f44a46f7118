import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

@Test func simpleSamplingIsUniformAndSeeded() throws {
    let rows = Array(0..<10)
    #expect(
        try RowSampler.draw(rows, size: .count(4), method: .simple, labels: nil, seed: 3)
            == RowSampler.draw(rows, size: .count(4), method: .simple, labels: nil, seed: 3))
    // Each row is drawn with probability 4/10: over 5,000 seeds every count is within 5 sd.
    var hits = [Int](repeating: 0, count: 10)
    for seed in 0..<5000 {
        let s = try RowSampler.draw(rows, size: .count(4), method: .simple, labels: nil, seed: UInt64(seed))
        #expect(s.count == 4 && Set(s).count == 4 && s == s.sorted())
        for r in s { hits[r] += 1 }
    }
    let sd = (5000 * 0.4 * 0.6).squareRoot()
    for h in hits { #expect(abs(Double(h) - 2000) < 5 * sd) }
    // A fraction rounds half away from zero: 2.5 of 10 rows → 3.
    #expect(try RowSampler.draw(rows, size: .fraction(0.25), method: .simple, labels: nil, seed: 1).count == 3)
}

@Test func systematicSamplingTakesEveryKthRowFromARandomStart() throws {
    let rows = Array(100..<130)  // 30 rows, 10 drawn: k = 3
    var starts = Set<Int>()
    for seed in 0..<200 {
        let s = try RowSampler.draw(rows, size: .count(10), method: .systematic, labels: nil, seed: UInt64(seed))
        #expect(s.count == 10)
        #expect(zip(s, s.dropFirst()).allSatisfy { $1 - $0 == 3 })
        starts.insert(s[0] - 100)
    }
    #expect(starts == [0, 1, 2])  // every start in [0, k) occurs
}

@Test func stratifiedSamplingKeepsClassSharesExactly() throws {
    let labels = Array(repeating: 0, count: 60) + Array(repeating: 1, count: 30) + Array(repeating: 2, count: 10)
    let s = try RowSampler.draw(Array(0..<100), size: .count(20), method: .stratified, labels: labels, seed: 9)
    let counts = (0..<3).map { k in s.filter { labels[$0] == k }.count }
    #expect(counts == [12, 6, 2])
    // Largest remainder: 7 of 100 → 4.2, 2.1, 0.7 → 4, 2, 1.
    let t = try RowSampler.draw(Array(0..<100), size: .count(7), method: .stratified, labels: labels, seed: 9)
    #expect((0..<3).map { k in t.filter { labels[$0] == k }.count } == [4, 2, 1])
    #expect(throws: LearningError.self) {
        try RowSampler.draw([0, 1], size: .count(1), method: .stratified, labels: nil, seed: 0)
    }
}

@Test func conditionsSelectTheRowsAHandCountGives() throws {
    let csv = "x,colour,y\n1,red,a\n5,blue,b\nNA,red,a\n7,,b\n"
    let d = try Dataset.fromCSV(try CSVReader.parse(csv, file: "c.csv"), file: "c.csv", targetName: "y")
    #expect(try RowCondition.parse("x > 2").rows(of: d) == [1, 3])
    #expect(try RowCondition.parse("x <= 5 and colour == red").rows(of: d) == [0])
    #expect(try RowCondition.parse("x == missing").rows(of: d) == [2])
    #expect(try RowCondition.parse("colour != missing").rows(of: d) == [0, 1, 2])
    #expect(try RowCondition.parse("y == b").rows(of: d) == [1, 3])
    #expect(try RowCondition.parse("colour != red").rows(of: d) == [1])
    #expect(throws: LearningError.self) { try RowCondition.parse("colour > red").rows(of: d) }
    #expect(throws: UnknownNameError.self) { try RowCondition.parse("color == red").rows(of: d) }
    #expect(throws: LearningError.self) { try RowCondition.parse("x is big").rows(of: d) }
}

@Test func generatorsMeetTheirSpecifications() throws {
    var s = Generator.Settings()
    s.rows = 4000; s.features = 6; s.informative = 2; s.weights = [0.9, 0.1]; s.seed = 4; s.separation = 2
    let c = try Generator.classification(s)
    #expect(c.classCounts == [3600, 400])
    // Informative features separate the classes by 2·separation along each axis where the
    // classes' vertices differ; noise features have the same mean (0) in both classes.
    guard case .classes(let labels, _)? = c.target else { Issue.record("no classes"); return }
    func mean(_ j: Int, _ k: Int) -> Double {
        let rows = labels.indices.filter { labels[$0] == k }
        return rows.reduce(0.0) { $0 + Double(c.features[$1, j]) } / Double(rows.count)
    }
    let gaps = (0..<6).map { abs(mean($0, 0) - mean($0, 1)) }
    #expect(gaps[0...1].contains { abs($0 - 4) < 0.3 })
    #expect(gaps[2...].allSatisfy { $0 < 0.3 })
    #expect(try Generator.classification(s).features.storage == c.features.storage)  // seeded
    s.classes = 5
    #expect(throws: LearningError.self) { try Generator.classification(s) }  // 5 > 2² vertices

    // Moons without noise lie exactly on their half circles.
    var m = Generator.Settings()
    m.rows = 200; m.seed = 2
    let moons = try Generator.moons(m)
    guard case .classes(let ml, _)? = moons.target else { Issue.record("no classes"); return }
    for r in 0..<200 {
        let x = Double(moons.features[r, 0]), y = Double(moons.features[r, 1])
        let radius =
            ml[r] == 0 ? (x * x + y * y).squareRoot() : ((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5)).squareRoot()
        #expect(abs(radius - 1) < 1e-5)
        #expect(ml[r] == 0 ? y >= -1e-6 : y <= 0.5 + 1e-6)
    }

    // Regression without noise is exactly linear in the informative features.
    var r = Generator.Settings()
    r.rows = 50; r.features = 4; r.informative = 2; r.seed = 8
    let (reg, w) = try Generator.regression(r)
    #expect(w[2] == 0 && w[3] == 0 && w[0] != 0 && abs(w[1]) >= 1 && abs(w[1]) <= 10)
    guard case .values(let y)? = reg.target else { Issue.record("no values"); return }
    for i in 0..<50 {
        let f = w[0] * Double(reg.features[i, 0]) + w[1] * Double(reg.features[i, 1])
        #expect(abs(f - Double(y[i])) < 1e-4 * max(1, abs(f)))
    }
    #expect(Generator.classSizes(rows: 10, weights: [1, 1, 1]) == [4, 3, 3])
}

@Test func datasetsWriteAsCSVAndReadBack() throws {
    let csv = "x,colour,y\n1.5,\"red, dark\",a\nNA,blue,b\n3,,a\n"
    let d = try Dataset.fromCSV(try CSVReader.parse(csv, file: "w.csv"), file: "w.csv", targetName: "y")
    let text = try d.csv()
    #expect(text == "x,colour,y\n1.5,\"red, dark\",a\nNA,blue,b\n3,NA,a\n")
    let back = try Dataset.fromCSV(try CSVReader.parse(text, file: "w2.csv"), file: "w2.csv", targetName: "y")
    #expect(back.columnKinds == d.columnKinds && back.target == d.target)
    #expect(zip(back.features.storage, d.features.storage).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
}
