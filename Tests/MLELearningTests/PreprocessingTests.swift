import Foundation
import MLETensor
import MLETestSupport
import Testing

@testable import MLELearning

/// A small table: a numeric column with a gap, a categorical column with a gap, a binary target.
private func toy() throws -> Dataset {
    let csv = """
        x,colour,y
        1,red,yes
        2,red,no
        NA,blue,yes
        10,,yes
        4,blue,no
        6,green,yes
        """
    return try Dataset.fromCSV(try CSVReader.parse(csv, file: "toy.csv"), file: "toy.csv", targetName: "y")
}

@Test func imputationAndOneHotMatchHandValues() throws {
    let d = try toy()
    let p = try Preprocessor.fit(d, settings: PreprocessSettings())
    // Levels sort: blue, green, red. Median of 1, 2, 10, 4, 6 is 4; most frequent colour:
    // blue and red twice each, the first in sorted order (blue) wins.
    #expect(p.outputNames == ["x", "colour=blue", "colour=green", "colour=red"])
    let x = try p.transform(d)
    #expect(
        x.storage == [
            1, 0, 0, 1,
            2, 0, 0, 1,
            4, 1, 0, 0,
            10, 1, 0, 0,
            4, 1, 0, 0,
            6, 0, 1, 0
        ])
    var s = PreprocessSettings()
    s.impute = .mean
    s.indicator = true
    let mean = try Preprocessor.fit(d, settings: s)
    #expect(mean.outputNames == ["x", "x:missing", "colour=blue", "colour=green", "colour=red", "colour:missing"])
    let m = try mean.transform(d)
    #expect(m[2, 0] == 23.0 / 5 && m[2, 1] == 1 && m[0, 1] == 0 && m[3, 5] == 1)
}

@Test func targetOddsAndOrdinalEncodingsMatchHandValues() throws {
    let d = try toy()  // classes sort: no (0), yes (1); positive = yes
    var s = PreprocessSettings()
    s.encoding = .target
    let t = try Preprocessor.fit(d, settings: s)
    #expect(t.outputNames == ["x", "colour:mean_yes"])
    // The gap in colour is filled with blue first: blue = rows 3, 4, 5 → yes, yes, no → 2/3;
    // green 1/1; red 1/2.
    let tx = try t.transform(d)
    #expect(abs(tx[2, 1] - 2.0 / 3) < 1e-6 && tx[5, 1] == 1 && tx[0, 1] == 0.5)
    // m-estimate smoothing with m = 2 and prior 4/6: red → (1 + 2·4/6) / (2 + 2).
    s.smoothing = 2
    let smooth = try Preprocessor.fit(d, settings: s).transform(d)
    #expect(abs(smooth[0, 1] - Float((1 + 2 * 4.0 / 6) / 4)) < 1e-6)
    // Odds ratio of red: a = 1 yes, b = 1 no with red; c = 3 yes, d = 1 no without →
    // (1·1)/(1·3) = 1/3. Green has b = 0, so 0.5 is added to all four: (1.5·2.5)/(0.5·3.5).
    s = PreprocessSettings()
    s.encoding = .odds
    let odds = try Preprocessor.fit(d, settings: s).transform(d)
    #expect(abs(odds[0, 1] - 1.0 / 3) < 1e-6)
    #expect(abs(odds[5, 1] - Float(1.5 * 2.5 / (0.5 * 3.5))) < 1e-5)
    s.encoding = .logodds
    let logOdds = try Preprocessor.fit(d, settings: s).transform(d)
    #expect(abs(logOdds[0, 1] - Float(log(1.0 / 3))) < 1e-6)
    s.encoding = .ordinal
    let ordinal = try Preprocessor.fit(d, settings: s).transform(d)
    #expect(ordinal.storage.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) == [2, 2, 0, 0, 0, 1])
}

@Test func encodingsRefuseTargetsTheyDoNotFit() throws {
    let csv = "c,y\na,1\nb,2\nc,3\na,2\n"
    let d = try Dataset.fromCSV(
        try CSVReader.parse(csv, file: "m.csv"), file: "m.csv", targetName: "y", task: .classification)
    var s = PreprocessSettings()
    s.encoding = .odds
    #expect(throws: SettingError.self) { try Preprocessor.fit(d, settings: s) }
    // Three classes: one mean column per class.
    s.encoding = .target
    let t = try Preprocessor.fit(d, settings: s)
    #expect(t.outputNames == ["c:mean_1", "c:mean_2", "c:mean_3"])
    #expect(try t.transform(d).storage.prefix(3) == [0.5, 0.5, 0])
}

@Test func binEdgesMatchScikitLearnsRules() throws {
    let v: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]
    // Uniform: width 25.
    #expect(Preprocessor.binEdges(v, bins: 4, how: .uniform) == [25, 50, 75])
    // Quantile: numpy.percentile([..], [25, 50, 75]) = 2.25, 4.5, 6.75.
    #expect(Preprocessor.binEdges(v, bins: 4, how: .quantile) == [2.25, 4.5, 6.75])
    // Repeated values merge quantile edges: [0,0,0,0,0,0,1,2] at 25/50/75% are 0, 0, 0.25.
    #expect(Preprocessor.binEdges([0, 0, 0, 0, 0, 0, 1, 2], bins: 4, how: .quantile) == [0.25])
    // 1-D k-means with 2 centres from the uniform start (25, 75): {0…8} and {100} →
    // centres 4 and 100, edge 52.
    #expect(Preprocessor.binEdges(v, bins: 2, how: .kmeans) == [52])
    // A value on an edge goes to the upper bin, as numpy.searchsorted(side="right").
    #expect(
        Preprocessor.bin(4.5, [2.25, 4.5, 6.75]) == 2 && Preprocessor.bin(-1, [2.25]) == 0
            && Preprocessor.bin(9, [2.25]) == 1)
}

@Test func scalingUsesTrainingStatistics() throws {
    let d = Dataset(
        name: "s", featureNames: ["a"], features: try Matrix(rows: 4, cols: 1, storage: [1, 2, 3, 6]),
        targetName: "y", target: .values([0, 1, 0, 1]))
    var s = PreprocessSettings()
    s.scaling = .minmax
    #expect(try Preprocessor.fit(d, settings: s).transform(d).storage == [0, 0.2, 0.4, 1])
    s.scaling = .standard
    let z = try Preprocessor.fit(d, settings: s).transform(d).storage
    // mean 3, population sd sqrt(14/4).
    #expect(abs(z[3] - Float(3 / (14.0 / 4).squareRoot())) < 1e-6)
}

@Test func encodersAreFittedOnTrainingDataOnly() throws {
    let penguins = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/penguins.csv").path, targetName: "species")
    let (train, test) = try Splitter.split(penguins, ratio: 0.7, stratify: true, seed: 5)
    var s = PreprocessSettings()
    s.encoding = .target
    s.scaling = .standard
    let p = try Preprocessor.fit(train, settings: s)
    let refit = try Preprocessor.fit(penguins, settings: s)
    #expect(p != refit)
    // The fill value of each numeric column is the training median, whatever the test set holds.
    let j = try #require(train.featureNames.firstIndex(of: "bill_length_mm"))
    let trainValues = (0..<train.rowCount).map { train.features[$0, j] }.filter { !$0.isNaN }
    #expect(p.steps[j].fill == Preprocessor.median(trainValues))
    // Test rows are transformed with training statistics: changing the test set's other rows
    // does not change a row's encoding.
    let first = try p.transform(test.subset([0], name: "one"))
    let all = try p.transform(test)
    #expect(Array(all.storage.prefix(first.cols)) == first.storage)
    // A level the training data never saw: one-hot gives zeros, target encoding the prior.
    let unseen = Dataset(
        name: "u", featureNames: train.featureNames, features: try test.subset([0], name: "u").features,
        targetName: nil, target: nil,
        columnKinds: train.columnKinds.map { kind in
            if case .categorical = kind { return .categorical(levels: ["Atlantis", "Atlantis2", "Atlantis3"]) }
            return kind
        })
    let encoded = try p.transform(unseen)
    let island = try #require(p.outputNames.firstIndex(of: "island:mean_Adelie"))
    let step = try #require(p.steps.first { $0.column == "island" })
    #expect(encoded[0, island] == step.unseen[0])
}

@Test func penguinsTrainEndToEndAndTheModelFileKeepsThePipeline() throws {
    let penguins = try Dataset.load(
        path: packageRoot.appendingPathComponent("datasets/penguins.csv").path, targetName: "species")
    #expect(penguins.columnKinds.filter { !$0.isNumeric }.count == 2)  // island, sex
    let (train, test) = try Splitter.split(penguins, ratio: 0.8, stratify: true, seed: 3)
    var config = MLPConfig()
    config.hidden = [16]
    config.epochs = 60
    config.seed = 1
    let net = try MLPTrainer.train(train, config: config).model
    let p = try #require(net.preprocessor)
    #expect(net.featureNames == p.outputNames && net.featureNames.contains("island=Dream"))
    let predicted = try #require(try net.predict(test).predictedClasses)
    guard case .classes(let truth, _)? = test.target else { Issue.record("no classes"); return }
    let accuracy = Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    #expect(accuracy > 0.9)
    let back = try MLP(mleFile: try SafeTensors.parse(try net.safeTensors().serialized()), name: "p")
    #expect(back.preprocessor == net.preprocessor)
    guard case .probabilities(let a) = try net.predict(test), case .probabilities(let b) = try back.predict(test) else {
        Issue.record("expected probabilities"); return
    }
    #expect(a.storage == b.storage)
}
