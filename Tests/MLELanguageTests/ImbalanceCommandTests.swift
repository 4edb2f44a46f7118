import Foundation
import MLEEvaluation
import MLELearning
import MLETensor
import MLETestSupport
import Synchronization
import Testing

@testable import MLELanguage

private let breastSetup = """
    data = load "\(dataPath("breast_cancer.csv"))" target=diagnosis
    few = sample data class=malignant fraction=0.15 seed=1
    train, test = split few ratio=0.7 stratify seed=2
    """

@Test func ensembleCommandBuildsTheBooksEnsembleAndReportsEachMember() throws {
    let (s, out, ok) = run(
        breastSetup + """

            set format json
            ens, members = ensemble train model=logistic chunks=4 seed=3
            """)
    #expect(ok, "\(out.errors)")
    guard case .model(let m)? = s.variables["ens"], let ens = m.model as? EnsembleModel,
        case .dataset(let train)? = s.variables["train"], case .classes(let labels, let names)? = train.target
    else {
        Issue.record("no ensemble"); return
    }
    #expect(ens.members.count == 4 && ens.vote == .soft && ens.members.allSatisfy { $0.kind == "logistic" })
    // The same rows as the plan the command made (seeded), one member per chunk, each member
    // equal to a logistic fit on its rows with the member's seed.
    let plan = try EnsemblePlan.rows(labels: labels, classCount: names.count, members: 4, method: .chunks, seed: 3)
    for (h, rows) in plan.enumerated() {
        let direct = try LogisticTrainer.train(train.subset(rows, name: "m"), config: LogisticConfig()).model
        guard case .probabilities(let a) = try direct.predict(train),
            case .probabilities(let b) = try ens.members[h].predict(train)
        else { continue }
        #expect(a == b)
    }
    // Two names: the announcement holds the model's summary and the report.
    let announced = try jsonReport(try #require(out.results.last))
    let report = try #require(announced["members"] as? [String: Any])
    let members = try #require(report["members"] as? [[String: Any]])
    // Four members, then the ensemble itself, as in the table people see.
    #expect(members.count == 5 && members.last?["member"] as? String == "ensemble")
    #expect(members.last?["balanced_accuracy"] as? Double == report["balanced_accuracy"] as? Double)
    // Each member's balanced accuracy is its own, on the data given.
    let own = try Metric.balancedAccuracy.value(of: Outcomes.of(ens.members[0], on: train, positive: nil).outcomes)
    #expect(abs((members[0]["balanced_accuracy"] as? Double ?? -1) - (own ?? -2)) < 1e-12)
    // The ensemble's score, combined from the members' checks, is the ensemble model's own.
    let whole = try Metric.balancedAccuracy.value(of: Outcomes.of(ens, on: train, positive: nil).outcomes)
    #expect(abs((report["balanced_accuracy"] as? Double ?? -1) - (whole ?? -2)) < 1e-12)
    // One name binds the model and shows the report.
    let (s2, out2, ok2) = run("e = ensemble train model=logistic vote=hard seed=3", in: s)
    #expect(ok2, "\(out2.errors)")
    guard case .model(let e)? = s2.variables["e"] else { Issue.record("e is not a model"); return }
    #expect((e.model as? EnsembleModel)?.vote == .hard)
}

@Test func ensembleAndResampleRefuseWhatTheyCannotDo() throws {
    let (s, _, ok) = run(breastSetup)
    #expect(ok)
    let cases: [(String, String)] = [
        ("bad = resample test method=under", "is the test side of a split"),
        ("bad = ensemble train model=logistic hidden=[8]", "hidden is an option of mlp, not of model=logistic"),
        ("bad = ensemble train chunks=1000", "fewer than the 1000 chunks"),
        ("bad = imbalance compare test test", "is the test side of a split"),
        ("bad = ensemble train chunks=0", "chunks must be between 1 and 10000"),
        ("bad = resample train method=under ratio=1.5", "ratio must be in (0, 1]"),
        ("bad = ensemble train model=logistic workers=0", "workers must be between 1 and 256")
    ]
    for (line, message) in cases {
        let (s2, out, ok2) = run(line, in: s)
        #expect(!ok2)
        #expect(out.errors.first?.contains(message) == true, "\(line): \(out.errors)")
        #expect(s2.variables["bad"] == nil)
    }
}

@Test func resampleCommandBalancesTrainingData() throws {
    let (s, out, ok) = run(
        breastSetup + """

            u = resample train method=under seed=1
            o = resample train method=over seed=1
            m = resample train method=smote k=3 seed=1
            """)
    #expect(ok, "\(out.errors)")
    for name in ["u", "o", "m"] {
        guard case .dataset(let d)? = s.variables[name], let counts = d.classCounts else {
            Issue.record("no \(name)"); continue
        }
        #expect(counts[0] == counts[1], "\(name): \(counts)")
    }
}

@Test func thresholdAndPriorsCommandsWrapTheModel() throws {
    let (s, out, ok) = run(
        breastSetup + """

            fit, valid = split train ratio=0.7 stratify seed=4
            lr = logistic fit
            tuned = threshold lr valid metric=balanced_accuracy
            small = resample fit method=under seed=1
            lr2 = logistic small
            fixed = priors lr2 trained=small deployed=fit
            """)
    #expect(ok, "\(out.errors)")
    guard case .model(let t)? = s.variables["tuned"], let tuned = t.model as? ThresholdModel,
        case .model(let f)? = s.variables["fixed"], let fixed = f.model as? PriorCorrectedModel,
        case .dataset(let fit)? = s.variables["fit"], case .dataset(let small)? = s.variables["small"],
        let big = fit.classCounts, let few = small.classCounts
    else {
        Issue.record("missing values"); return
    }
    #expect(tuned.positive == 1 && tuned.threshold > 0 && tuned.threshold < 1)  // malignant is the smaller class
    // The factors are the deployed shares over the trained ones.
    let n = Double(big.reduce(0, +)), m = Double(few.reduce(0, +))
    for c in 0..<2 { #expect(abs(fixed.factors[c] - (Double(big[c]) / n) / (Double(few[c]) / m)) < 1e-12) }
}

@Test func imbalanceCompareTrainsEveryStrategyAndMarksTheBest() throws {
    let (_, out, ok) = run(
        breastSetup + """

            set format json
            imbalance compare train test model=logistic seed=5
            set format table
            imbalance compare train test model=baseline seed=5
            """)
    #expect(ok, "\(out.errors)")
    let json = try jsonReport(try #require(out.results.first { $0.contains("\"imbalance\"") }))
    let rows = try #require(json["strategies"] as? [[String: Any]])
    #expect(
        rows.map { $0["strategy"] as? String ?? "" } == [
            "none", "class weights", "undersampling", "oversampling", "SMOTE",
            "EasyEnsemble", "book's ensemble", "threshold moving"
        ])
    #expect(json["positive"] as? String == "malignant")
    for r in rows { #expect((r["balanced_accuracy"] as? Double ?? 0) > 0.8, "\(r)") }
    let table = try #require(out.results.last)
    #expect(table.contains("balanced accuracy\n") && table.contains("│"))  // the bar chart
    #expect(table.contains("class weights: not run — baselines take no class weights"))
    #expect(table.contains(" *"))
}

@Test func evaluateImbalancedAddsThePerClassReport() throws {
    let (s, out, ok) = run(
        breastSetup + """

            z = baseline train
            set format json
            evaluate z test imbalanced
            """)
    #expect(ok, "\(out.errors)")
    let r = try jsonReport(try #require(out.results.last))
    #expect(r["balanced_accuracy"] as? Double == 0.5 && r["gmean"] as? Double == 0 && r["mcc"] as? Double == 0)
    let rows = try #require(r["imbalanced_report"] as? [[String: Any]])
    #expect(rows.count == 3)
    #expect(rows[1]["class"] as? String == "malignant" && rows[1]["precision"] is NSNull)  // never predicted: undefined
    #expect(rows[1]["recall"] as? Double == 0 && rows[1]["specificity"] as? Double == 1)
    _ = s
}

@Test func relabelMergesTheOtherClasses() throws {
    let (s, out, ok) = run(
        """
        d = load "\(dataPath("digits.csv"))" target=digit
        e = relabel d keep=[8]
        """)
    #expect(ok, "\(out.errors)")
    guard case .dataset(let e)? = s.variables["e"], case .dataset(let d)? = s.variables["d"],
        case .classes(let el, let en)? = e.target, case .classes(let dl, let dn)? = d.target
    else { Issue.record("no data"); return }
    #expect(en == ["8", "rest"])
    #expect(zip(el, dl).allSatisfy { ($0 == 0) == (dn[$1] == "8") })
    let (_, out2, ok2) = run("f = relabel d keep=[88]", in: s)
    #expect(!ok2 && out2.errors.first?.contains("no class named '88'") == true)
}

@Test func everyCommandHasDistinctOptionNames() {
    for name in CommandRegistry.standard.names {
        guard let spec = CommandRegistry.standard[name] else { continue }
        let names = spec.options.map(\.name) + spec.positionals.map(\.name)
        #expect(Set(names).count == names.count, "\(name) repeats an option")
    }
}

@Test func ensembleCorrectsPriorsFromTheMembersSharesToTheDataGiven() throws {
    let (s, out, ok) = run(
        breastSetup + """

            set format json
            ens, members = ensemble train model=mlp hidden=[4] epochs=3 chunks=3 correct_priors vote=hard seed=3
            """)
    #expect(ok, "\(out.errors)")
    guard case .model(let m)? = s.variables["ens"], let fixed = m.model as? PriorCorrectedModel,
        let ens = fixed.base as? EnsembleModel, case .dataset(let train)? = s.variables["train"],
        case .classes(let labels, let names)? = train.target, let counts = train.classCounts
    else {
        Issue.record("no corrected ensemble"); return
    }
    #expect(ens.members.count == 3)
    // Factor of class c: its share in the data given over its mean share in the members' data.
    let plan = try EnsemblePlan.rows(labels: labels, classCount: names.count, members: 3, method: .chunks, seed: 3)
    for c in 0..<2 {
        let memberShare =
            plan.map { rows in Double(rows.filter { labels[$0] == c }.count) / Double(rows.count) }.reduce(0, +) / 3
        let dataShare = Double(counts[c]) / Double(train.rowCount)
        #expect(abs(fixed.factors[c] - dataShare / memberShare) < 1e-12)
    }
    // The reported score is the corrected ensemble's own (hard vote, then the correction).
    let last = try #require(out.results.last)
    let report = try #require(try jsonReport(last)["members"] as? [String: Any])
    let whole = try Metric.balancedAccuracy.value(of: Outcomes.of(fixed, on: train, positive: nil).outcomes)
    #expect(abs((report["balanced_accuracy"] as? Double ?? -1) - (whole ?? -2)) < 1e-12)
}

@Test func imbalanceCompareKeepsTheStrategiesComparedBeforeCtrlC() throws {
    let (session, _, ok) = run(breastSetup)
    #expect(ok)
    // Ctrl-C while the fourth strategy trains (baselines check once per strategy, logistic per
    // iteration): the earlier rows are kept and the report says which were not run.
    let checks = Mutex(0)
    session.cancellation = Cancellation {
        checks.withLock {
            $0 += 1; return $0 > 6
        }
    }
    session.format = .json
    let (_, out, _) = run("r = imbalance compare train test model=baseline seed=5", in: session)
    // The partial report is bound and shown.
    #expect(session.variables["r"] != nil)
    let line = try #require(out.results.last)
    let outer = try jsonReport(line)
    let json = try #require(outer["r"] as? [String: Any])
    let rows = try #require(json["strategies"] as? [[String: Any]])
    #expect(rows.count >= 1 && rows.count < 8, "\(rows.count) rows")
    #expect(json["interrupted"] as? Bool == true)
    let notes = try #require(json["notes"] as? [String])
    #expect(notes.contains { $0.hasPrefix("interrupted after ") && $0.contains("of 8 strategies; not run: ") })
}
