import Foundation
import MLEEvaluation
import MLELearning
import MLETensor

/// `dropna`, `sample`, `filter`, `generate`, `check`: deriving and checking datasets.
enum DataPrepCommands {
    static func checkReport(_ c: DataCheck, name: String, testName: String?, correlation: Double, leakage: Double)
        -> Report
    {
        var facts: [Field] = [Field("rows", .count(c.rows))]
        var warnings = 0
        if let counts = c.classCounts {
            facts.append(.text("classes", counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
            if let r = c.imbalanceRatio {
                let reading =
                    r >= 4
                    ? " — imbalanced: look at balanced accuracy, recall per class and the imbalance remedies" : ""
                if r >= 4 { warnings += 1 }
                facts.append(Field("imbalance", .shown(.number(r), as: String(format: "%.2f : 1", r) + reading)))
            } else if counts.contains(where: { $0.1 == 0 }) {
                facts.append(Field("imbalance", .missing("a class has no rows")))
                warnings += 1
            }
        }
        facts.append(
            Field(
                "missing_values", "missing values",
                .shown(.count(c.missingCells), as: c.missingCells == 0 ? "none" : "\(c.missingCells) cells")))
        facts.append(
            .text("constant columns", c.constantColumns.isEmpty ? "none" : c.constantColumns.joined(separator: ", ")))
        warnings += c.constantColumns.isEmpty ? 0 : 1
        var duplicate = "none"
        if c.duplicateRows > 0, let f = c.firstDuplicate {
            duplicate =
                "\(c.duplicateRows) rows repeat an earlier row (first: row \(f.row + 1) repeats row \(f.of + 1))"
            warnings += 1
        }
        facts.append(Field("duplicate_rows", "duplicate rows", .shown(.count(c.duplicateRows), as: duplicate)))
        if let s = c.sharedWithTest {
            facts.append(
                Field(
                    "shared_with_test", "shared with \(testName ?? "test")",
                    .shown(
                        .count(s),
                        as: s == 0 ? "none" : "\(s) test rows equal a training row — they inflate test scores")))
            warnings += s == 0 ? 0 : 1
        }
        var tables: [Table] = []
        if !c.correlatedPairs.isEmpty {
            tables.append(
                Table(
                    caption:
                        "feature pairs with |r| ≥ \(Format.number(correlation)) (one of each pair may be redundant)",
                    header: ["feature", "feature", "r"],
                    cells: c.correlatedPairs.map { [.text($0.a), .text($0.b), .number($0.correlation)] },
                    alignments: [.left, .left, .right], key: "correlated"))
            tables[tables.count - 1].columns[1].key = "feature_2"
            tables[tables.count - 1].limit = 20
            tables[tables.count - 1].moreHint = "set format json or csv gives all"
        }
        if !c.strongPredictors.isEmpty {
            warnings += 1
            tables.append(
                Table(
                    caption:
                        "features that alone nearly predict the target (possible leakage: is each known at prediction time?)",
                    header: ["feature", "score", "without features"],
                    cells: c.strongPredictors.map { [.text($0.feature), .number($0.score), .number($0.baseline)] },
                    key: "leakage"))
        }
        var notes: [String] = []
        notes.append(warnings == 0 ? "no problems found" : "\(warnings) thing\(warnings == 1 ? "" : "s") to look at")
        return Report(
            kind: "check", title: "check \(name)", fields: facts, tables: tables, notes: notes)
    }

    static func noColumn(_ c: String, in d: Dataset) -> String {
        let hint = Diagnostics.didYouMean(c, in: d.featureNames)
        return "no column named '\(c)'\(hint)"
    }
}
