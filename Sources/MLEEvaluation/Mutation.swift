import Foundation
import MLELearning
import MLETensor

/// Mutation analysis of a test set (Burkov ch. 7: is the test set adequate?), after DeepCrime
/// (Humbatova, Jahangirova and Tonella, ISSTA 2021): faults are put into the training (its data or
/// its settings) or into the trained weights, several instances of each faulty model are made, and
/// a test set is good when it tells the faulty instances from the original's.
public enum Mutation {
    /// A fault in how the network is trained; each instance is trained anew.
    public enum Training: Sendable, Equatable {
        /// This share of the training rows gets another class, drawn uniformly from the others.
        case labelNoise(Double)
        /// This share of the training rows is left out.
        case dropRows(Double)
        /// The hidden layers' activation is another.
        case activation(Kernels.Activation)
        /// The learning rate times this factor.
        case learningRate(Double)
        /// The epochs times this factor (at least one epoch).
        case epochs(Double)
        /// Each hidden layer keeps this share of its units (at least one).
        case removeUnits(Double)

        public var name: String {
            switch self {
            case .labelNoise(let s): return "label noise \(percent(s))"
            case .dropRows(let s): return "drop \(percent(s)) of training rows"
            case .activation(let a): return "activation \(a.rawValue)"
            case .learningRate(let f): return "learning rate × \(number(f))"
            case .epochs(let f): return "epochs × \(number(f))"
            case .removeUnits(let s): return "hidden units × \(number(s))"
            }
        }

        /// The training data and settings of instance `seed` of this mutant.
        /// - Throws: `LearningError` when the data has no classes to mislabel.
        public func apply(_ data: Dataset, _ config: MLPConfig, seed: UInt64) throws -> (Dataset, MLPConfig) {
            var rng = SeededGenerator(seed: seed ^ 0x6D75_7461_6E74_2E31)
            var config = config
            switch self {
            case .labelNoise(let share):
                guard case .classes(var labels, let names)? = data.target, names.count > 1 else {
                    throw LearningError.invalid("label noise needs a target of two classes or more")
                }
                var rows = Array(0..<labels.count)
                rng.shuffle(&rows)
                for r in rows.prefix(Int((Double(labels.count) * share).rounded())) {
                    let other = rng.nextIndex(names.count - 1)
                    labels[r] = other >= labels[r] ? other + 1 : other
                }
                var mutated = data
                mutated.target = .classes(labels: labels, names: names)
                return (mutated, config)
            case .dropRows(let share):
                var rows = Array(0..<data.rowCount)
                rng.shuffle(&rows)
                let keep = max(1, data.rowCount - Int((Double(data.rowCount) * share).rounded()))
                return (try data.subset(Array(rows.prefix(keep)).sorted(), name: data.name), config)
            case .activation(let a):
                config.activation = a
            case .learningRate(let f):
                config.learningRate = Float(Double(config.learningRate) * f)
            case .epochs(let f):
                config.epochs = max(1, Int((Double(config.epochs) * f).rounded()))
            case .removeUnits(let share):
                config.hidden = config.hidden.map { max(1, Int((Double($0) * share).rounded())) }
            }
            return (data, config)
        }
    }

    /// A fault in a trained network's weights (DeepMutation's operators); each instance draws its
    /// own units or weights.
    public enum Weights: Sendable, Equatable {
        /// This share of all weights gets Gaussian noise of `scale` times its layer's weights'
        /// standard deviation.
        case gaussianFuzz(share: Double, scale: Double)
        /// This share of the hidden units have their outgoing weights set to 0 (the unit no longer
        /// reaches the next layer).
        case blockUnits(Double)
        /// In each hidden layer, two units exchange their outgoing weights (each takes the other's
        /// effect on the next layer).
        case switchUnits

        public var name: String {
            switch self {
            case .gaussianFuzz(let share, let scale): return "fuzz \(percent(share)) of weights (σ × \(number(scale)))"
            case .blockUnits(let s): return "block \(percent(s)) of hidden units"
            case .switchUnits: return "switch two units per hidden layer"
            }
        }

        /// Instance `seed` of this mutant of `network`.
        public func apply(_ network: MLP, seed: UInt64) -> MLP {
            var rng = SeededGenerator(seed: seed ^ 0x6D75_7461_6E74_2E32)
            var net = network
            switch self {
            case .gaussianFuzz(let share, let scale):
                for l in net.layers.indices {
                    let w = net.layers[l].weight.storage
                    let mean = w.reduce(0.0) { $0 + Double($1) } / Double(max(w.count, 1))
                    let sd =
                        (w.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(w.count, 1)))
                        .squareRoot()
                    var order = Array(w.indices)
                    rng.shuffle(&order)
                    for i in order.prefix(Int((Double(w.count) * share).rounded())) {
                        net.layers[l].weight.storage[i] += Float(rng.nextNormal() * scale * sd)
                    }
                }
            case .blockUnits(let share):
                // Hidden layer h is the output of layers[h] and the input (rows) of layers[h + 1].
                for h in 0..<(net.layers.count - 1) {
                    let next = net.layers[h + 1]
                    var units = Array(0..<next.inputs)
                    rng.shuffle(&units)
                    for u in units.prefix(max(1, Int((Double(next.inputs) * share).rounded()))) {
                        for c in 0..<next.outputs { net.layers[h + 1].weight.storage[u * next.outputs + c] = 0 }
                    }
                }
            case .switchUnits:
                for h in 0..<(net.layers.count - 1) {
                    let next = net.layers[h + 1]
                    guard next.inputs >= 2 else { continue }
                    let a = rng.nextIndex(next.inputs)
                    var b = rng.nextIndex(next.inputs - 1)
                    if b >= a { b += 1 }
                    for c in 0..<next.outputs {
                        net.layers[h + 1].weight.storage.swapAt(a * next.outputs + c, b * next.outputs + c)
                    }
                }
            }
            return net
        }
    }

    /// DeepCrime's killing rule on the test set's accuracies of the original's instances and a
    /// mutant's: killed when they differ beyond noise (Welch's t-test, two-sided, p < alpha) and
    /// not negligibly (|Cohen's d| ≥ 0.5, the pooled standard deviation). When neither set
    /// varies, killed when the accuracies differ.
    public struct Verdict: Sendable, Equatable {
        public var originalMean: Double
        public var mutantMean: Double
        public var p: Double
        public var effect: Double
        public var killed: Bool
    }

    public static func killed(original a: [Double], mutant b: [Double], alpha: Double = 0.05, minEffect: Double = 0.5)
        -> Verdict
    {
        let na = Double(a.count), nb = Double(b.count)
        let ma = a.reduce(0, +) / na, mb = b.reduce(0, +) / nb
        let va = a.count > 1 ? a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) } / (na - 1) : 0
        let vb = b.count > 1 ? b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) } / (nb - 1) : 0
        let pooled = (((na - 1) * va + (nb - 1) * vb) / max(na + nb - 2, 1)).squareRoot()
        guard va + vb > 0 else {
            let differ = ma != mb
            return Verdict(
                originalMean: ma, mutantMean: mb, p: differ ? 0 : 1,
                effect: differ ? (mb > ma ? .infinity : -.infinity) : 0,
                killed: differ)
        }
        let se = (va / na + vb / nb).squareRoot()
        let t = (mb - ma) / se
        let df =
            (va / na + vb / nb) * (va / na + vb / nb)
            / ((va / na) * (va / na) / max(na - 1, 1) + (vb / nb) * (vb / nb) / max(nb - 1, 1))
        let p = Distributions.studentTTwoSided(t, df: df)
        let d = pooled > 0 ? (mb - ma) / pooled : (mb > ma ? .infinity : -.infinity)
        return Verdict(originalMean: ma, mutantMean: mb, p: p, effect: d, killed: p < alpha && abs(d) >= minEffect)
    }

    static func percent(_ s: Double) -> String { "\(number(s * 100))%" }
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(format: "%g", v)
    }
}
