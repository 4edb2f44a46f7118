import Foundation
import MLELearning
import MLETensor
import Synchronization

/// The norm of the input ball.
public enum PerturbationNorm: String, Sendable, CaseIterable {
    case l2, linf
}

/// Which output ε is measured on.
public enum RobustOutput: String, Sendable, CaseIterable {
    /// The probability vector (classifiers; Burkov's ε), or the prediction (regression).
    case probabilities
    /// The logits (classifiers only).
    case logits
}

/// The space δ is measured in.
public enum RobustUnits: String, Sendable, CaseIterable {
    /// Standardised feature units (each feature divided by its training standard deviation).
    case standardized
    /// The data's own units.
    case raw
}

public enum RobustMethod: String, Sendable, CaseIterable {
    case sample, attack, certify
    /// The three above, then branch and bound over ReLU splits for the examples they leave
    /// unknown (`RobustQuestions`, `SplitSearch`).
    case complete

    /// What `method=all` runs.
    public static let usual: Set<RobustMethod> = [.sample, .attack, .certify]
}

public enum RobustVerdict: String, Sendable {
    case robust
    case notRobust = "not robust"
    case unknown
}

/// Settings of an ε-δ robustness check.
public struct RobustSettings: Sendable {
    public var delta: Double = 0.1
    public var epsilon: Double = 0.05
    public var norm: PerturbationNorm = .l2
    public var methods: Set<RobustMethod> = RobustMethod.usual
    /// Random points per example (half inside the ball, half on its surface).
    public var samples: Int = 1000
    /// Projected gradient steps per restart, and restarts per example.
    public var steps: Int = 50
    public var restarts: Int = 5
    public var seed: UInt64 = 0
    public var output: RobustOutput = .probabilities
    public var units: RobustUnits = .standardized
    /// Seconds of branch and bound per undecided example (method complete).
    public var completeTimeout: Double = 10
    public init() {}
}

public struct RobustError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The evidence for one example.
public struct RobustExample: Sendable {
    public var row: Int
    public var verdict: RobustVerdict
    /// Largest output distance seen among the random samples / found by the attack.
    public var sampled: Double?
    public var attacked: Double?
    /// Sound upper bounds on the output distance over the whole ball: CROWN (the tighter of
    /// CROWN and IBP, both sound) and IBP alone.
    public var certified: Double?
    public var certifiedIBP: Double?
    /// The perturbed input with the largest distance found, in the data's own units.
    public var counterexample: [Float]?
    /// Its displacement from the example, in the units of δ.
    public var displacement: [Float]?
    /// The complete search's answer, for the examples the other methods left unknown.
    public var complete: CompleteEvidence?

    /// The method whose evidence gave the verdict (nil while unknown).
    public var decidedBy: RobustMethod? {
        if let c = complete, c.answer != .undecided { return .complete }
        switch verdict {
        case .unknown: return nil
        case .robust: return .certify
        case .notRobust: return (attacked ?? 0) >= (sampled ?? 0) ? .attack : .sample
        }
    }
}

/// A network on the space δ is measured in: the MLP's layers, with the standardisation folded
/// into the first layer when δ is in raw units. Inputs to it are points of that space.
struct SpaceNetwork {
    let net: MLP
    /// Maps a raw row into the space.
    let toSpace: ([Float]) -> [Float]
    /// Maps a point of the space back to raw units.
    let toRaw: ([Float]) -> [Float]
    /// Per feature, raw units per space unit (to report displacements).
    let scale: [Float]

    init(_ model: MLP, units: RobustUnits) {
        let s = model.standardizer
        let identity = Standardizer(
            mean: [Float](repeating: 0, count: s.mean.count), scale: [Float](repeating: 1, count: s.mean.count))
        var layers = model.layers
        switch units {
        case .standardized:
            toSpace = { x in (0..<x.count).map { (x[$0] - s.mean[$0]) / s.scale[$0] } }
            toRaw = { z in (0..<z.count).map { z[$0] * s.scale[$0] + s.mean[$0] } }
            scale = s.scale
        case .raw:
            // x·W' + b' = ((x − m)/s)·W + b: W'[i, o] = W[i, o] / s[i], b' = b − Σ_i (m[i]/s[i]) W[i, o].
            var first = layers[0]
            for i in 0..<first.inputs {
                for o in 0..<first.outputs {
                    first.bias[o] -= s.mean[i] / s.scale[i] * first.weight[i, o]
                    first.weight[i, o] /= s.scale[i]
                }
            }
            layers[0] = first
            toSpace = { $0 }
            toRaw = { $0 }
            scale = [Float](repeating: 1, count: s.mean.count)
        }
        net = MLP(
            layers: layers, standardizer: identity, featureNames: model.featureNames, task: model.task,
            targetMean: model.targetMean, targetScale: model.targetScale)
    }
}

/// One sampling worker's points and layer values, reused from round to round (only that worker
/// touches them).
final class SampleBuffers: @unchecked Sendable {
    var batch = Matrix(rows: 0, cols: 0)
    var layers: [Matrix] = []
}

/// Result slots handed to the workers of `concurrentPerform`; each worker writes only the
/// examples of its own batches and its own entries.
struct SendableSlots: @unchecked Sendable {
    let found: UnsafeMutableBufferPointer<(distance: Double, point: [Float])>
    let failures: UnsafeMutableBufferPointer<Error?>
}

public enum Robustness {
    /// Checks every row of `x` (raw units).
    /// - Parameter stopIdleWorkers: stop OpenBLAS's idle workers before sampling, as
    ///   `BLASThreads.single(stopIdleWorkers:)` explains (only for the owner of the process).
    /// - Throws: `Cancelled` on Ctrl-C (`checkKeepingDecided` keeps what was decided).
    public static func check(
        _ model: MLP, x: Matrix, settings: RobustSettings,
        context: ExecutionContext = .standard
    ) throws -> [RobustExample] {
        let (results, interrupted) = try checkKeepingDecided(model, x: x, settings: settings, context: context)
        if interrupted { throw Cancelled() }
        return results
    }

    /// `check`, keeping on Ctrl-C the examples already decided: those with a counterexample
    /// beyond ε from the methods that reached them (not robust), those certified within ε
    /// (robust), and those every method reached (possibly unknown). The rest are left out.
    /// - Returns: the examples kept, in row order, and whether the check was interrupted.
    public static func checkKeepingDecided(
        _ model: MLP, x: Matrix, settings: RobustSettings,
        context: ExecutionContext = .standard
    ) throws -> (results: [RobustExample], interrupted: Bool) {
        let cancellation = context.cancellation
        let stopIdleWorkers = context.threads.mayStopIdleWorkers
        func progress(_ done: Int, _ total: Int) { context.progress(done, of: total) }
        guard settings.delta >= 0, settings.delta.isFinite else {
            throw SettingError("delta", "δ must be a finite number ≥ 0")
        }
        guard settings.epsilon >= 0, settings.epsilon.isFinite else {
            throw SettingError("epsilon", "ε must be a finite number ≥ 0")
        }
        guard !settings.methods.isEmpty else { throw SettingError("methods", "no method is chosen") }
        guard settings.samples >= 1, settings.steps >= 1, settings.restarts >= 1 else {
            throw SettingError(
                settings.samples < 1 ? "samples" : settings.steps < 1 ? "steps" : "restarts",
                "samples, steps and restarts must be at least 1")
        }
        guard x.cols == model.standardizer.mean.count else {
            throw RobustError("the model takes \(model.standardizer.mean.count) features, the data has \(x.cols)")
        }
        if settings.output == .logits, !model.task.isClassification {
            throw SettingError("output", "logits are a classifier's; a regression network's output is its prediction")
        }
        let space = SpaceNetwork(model, units: settings.units)
        let points = (0..<x.rows).map { space.toSpace(x.row($0)) }
        let d = x.cols
        var centers = Matrix(rows: x.rows, cols: d)
        for r in 0..<x.rows { for j in 0..<d { centers[r, j] = points[r][j] } }
        let centerOut = try outputs(space.net, centers, settings.output)

        var results = (0..<x.rows).map { RobustExample(row: $0, verdict: .unknown) }
        var best: [(distance: Double, point: [Float])?] = Array(repeating: nil, count: x.rows)
        func consider(_ r: Int, _ distance: Double, _ point: [Float]) {
            if best[r].map({ distance > $0.distance }) ?? true { best[r] = (distance, point) }
        }
        let total = x.rows * settings.methods.count
        var done = 0
        // How many leading rows every method so far reached; after Ctrl-C no later method runs.
        var reached = x.rows
        var interrupted = false

        if settings.methods.contains(.sample) {
            let (sampled, completed) = try sample(
                space.net, points: points, centerOut: centerOut, settings: settings,
                cancellation: cancellation, stopIdleWorkers: stopIdleWorkers
            ) { n in progress(done + n, total) }
            for r in 0..<completed {
                results[r].sampled = sampled[r].distance
                consider(r, sampled[r].distance, sampled[r].point)
            }
            reached = min(reached, completed)
            interrupted = completed < x.rows
            done += x.rows
            progress(done, total)
        }

        // A method that does not start after Ctrl-C reaches no row.
        if settings.methods.contains(.attack), interrupted { reached = 0 }
        if settings.methods.contains(.attack), !interrupted {
            let (attack, completed) = try Attack.run(
                space.net, centers: centers, centerOutputs: centerOut, settings: settings,
                cancellation: cancellation
            ) { n in progress(done + n, total) }
            for r in 0..<completed {
                results[r].attacked = attack[r].distance
                consider(r, attack[r].distance, attack[r].point)
            }
            reached = min(reached, completed)
            interrupted = completed < x.rows
            done += x.rows
        }

        if settings.methods.contains(.certify), interrupted { reached = 0 }
        if settings.methods.contains(.certify), !interrupted {
            let plan = Certify.Plan(space.net, norm: settings.norm)
            // Batches of 32 balls, two threads taking one ball at a time: between batches the
            // caller reports progress and Ctrl-C is seen.
            let perBatch = 32
            var start = 0
            try BLASThreads.single(stopIdleWorkers: stopIdleWorkers) {
                while start < x.rows {
                    if cancellation.isCancelled { interrupted = true; break }
                    let rows = Array(start..<min(start + perBatch, x.rows))
                    let bounds = Certify.bounds(
                        plan, centers: rows.map { points[$0].map(Double.init) },
                        deltas: [Double](repeating: settings.delta, count: rows.count))
                    guard bounds.count == rows.count else {
                        throw RobustError("the network's bounds could not be computed")
                    }
                    for (b, r) in rows.enumerated() {
                        let z = (0..<centerOut.logits.cols).map { Double(centerOut.logits[r, $0]) }
                        results[r].certified = Certify.outputBound(
                            bounds[b].crown, center: z, net: space.net, output: settings.output)
                        results[r].certifiedIBP = Certify.outputBound(
                            bounds[b].ibp, center: z, net: space.net, output: settings.output)
                    }
                    start += rows.count
                    done += rows.count
                    progress(done, total)
                }
            }
            reached = min(reached, start)
        }

        for r in 0..<x.rows {
            if let b = best[r], b.distance > 0 {
                results[r].counterexample = space.toRaw(b.point)
                results[r].displacement = (0..<d).map { b.point[$0] - points[r][$0] }
            }
            let found = max(results[r].sampled ?? 0, results[r].attacked ?? 0)
            if found > settings.epsilon {
                results[r].verdict = .notRobust
            } else if let c = results[r].certified, c <= settings.epsilon {
                results[r].verdict = .robust
            }
        }

        if settings.methods.contains(.complete), !interrupted {
            let todo = (0..<x.rows).filter { results[$0].verdict == .unknown }
            let searches = try complete(
                space, rows: todo, points: points, centerOut: centerOut, settings: settings, context: context
            ) { [done, rows = x.rows] n in context.progress(done + n * rows / max(todo.count, 1), of: total) }
            for (t, r) in todo.enumerated() {
                let s = searches[t]
                results[r].complete = CompleteEvidence(
                    answer: s.answer, value: s.answer == .violated ? s.counterexampleValue : s.bound,
                    branches: s.branches, seconds: s.seconds, reason: s.reason)
                switch s.answer {
                case .holds: results[r].verdict = .robust
                case .violated:
                    results[r].verdict = .notRobust
                    if let p = s.counterexample {
                        let point = p.map { Float($0) }
                        results[r].counterexample = space.toRaw(point)
                        results[r].displacement = (0..<d).map { point[$0] - points[r][$0] }
                    }
                case .undecided:
                    if s.reason == .interrupted { interrupted = true }
                }
            }
            if interrupted {
                // What the search did not finish is not reached; the rest is.
                let unfinished = Set(todo.indices.filter { searches[$0].reason == .interrupted }.map { todo[$0] })
                return (results.filter { !unfinished.contains($0.row) }, true)
            }
            done += x.rows
            progress(done, total)
        }
        guard interrupted else { return (results, false) }
        return (results.filter { $0.row < reached || $0.verdict != .unknown }, true)
    }

    /// The complete search (`SplitSearch` on `RobustQuestions.epsilonDelta`) for each of the
    /// rows, each on its own thread with OpenBLAS on one; `progress` gets the number finished.
    static func complete(
        _ space: SpaceNetwork, rows: [Int], points: [[Float]], centerOut: Outputs, settings: RobustSettings,
        context: ExecutionContext, progress: @escaping @Sendable (Int) -> Void
    ) throws -> [SplitSearchResult] {
        guard !rows.isEmpty else { return [] }
        let verifier = try VerifierNetwork(space.net)
        let k = centerOut.logits.cols
        let classification = space.net.task.isClassification
        let scale = Double(space.net.targetScale), mean = Double(space.net.targetMean)
        let centers = rows.map { r in (0..<k).map { Double(centerOut.logits[r, $0]) } }
        let cancellation = context.cancellation
        let finished = Atomic<Int>(0)
        return try BLASThreads.single(stopIdleWorkers: context.threads.mayStopIdleWorkers) {
            try Parallel.map(rows.count) { t -> SplitSearchResult in
                let r = rows[t]
                let z0 = classification ? centers[t] : centers[t].map { $0 * scale + mean }
                let question = RobustQuestions.epsilonDelta(
                    outputs: k, classification: classification, output: settings.output, center: z0,
                    epsilon: settings.epsilon)
                let c = points[r].map(Double.init)
                let region: InputRegion =
                    settings.norm == .l2
                    ? .ball(center: c, radius: settings.delta) : .linf(center: c, radius: settings.delta)
                let result = SplitSearch.run(
                    verifier, region: region, question: question, timeout: settings.completeTimeout,
                    seed: settings.seed &+ UInt64(r), cancellation: cancellation)
                progress(finished.add(1, ordering: .relaxed).newValue)
                return result
            }
        }
    }

    /// The largest output distance among `settings.samples` random points in each example's ball,
    /// and the point. Two workers take a batch of about 8k rows each per round (each example's
    /// points come from its own stream (seed, row), so they do not depend on batching or threads);
    /// each draws its points and runs its own forward pass with OpenBLAS on one thread, so both
    /// cores stay busy with the products and the random numbers alike.
    ///
    /// OpenBLAS is on one thread for all the rounds, not set back between them: setting its count
    /// back starts its workers again, and they spin for about 0.1 s, taking a core from the
    /// sampling workers (perf: a sixth of the samples in the scheduler and `sched_yield`).
    static func sample(
        _ net: MLP, points: [[Float]], centerOut: Outputs, settings: RobustSettings,
        cancellation: Cancellation, stopIdleWorkers: Bool = false,
        progress: (Int) -> Void
    ) throws -> (found: [(distance: Double, point: [Float])], completed: Int) {
        try BLASThreads.single(stopIdleWorkers: stopIdleWorkers) {
            try sampleRounds(
                net, points: points, centerOut: centerOut, settings: settings, cancellation: cancellation,
                progress: progress)
        }
    }

    private static func sampleRounds(
        _ net: MLP, points: [[Float]], centerOut: Outputs, settings: RobustSettings,
        cancellation: Cancellation, progress: (Int) -> Void
    ) throws -> (found: [(distance: Double, point: [Float])], completed: Int) {
        let n = points.count, d = points.first?.count ?? 0
        let perBatch = max(1, 8_192 / settings.samples)
        let batches = stride(from: 0, to: n, by: perBatch).map { Array($0..<min($0 + perBatch, n)) }
        var found = [(distance: Double, point: [Float])](repeating: (0, []), count: n)
        let workers = min(2, batches.count)
        var failures = [Error?](repeating: nil, count: workers)
        // Each worker's points and layer values, kept from round to round.
        let buffers = (0..<workers).map { _ in SampleBuffers() }
        // Rounds of one batch per worker; between rounds the caller reports progress.
        for round in stride(from: 0, to: batches.count, by: workers) {
            // Ctrl-C between rounds: the rounds before are complete (batches are row ranges in order).
            if cancellation.isCancelled { return (found, batches[round].first ?? n) }
            let count = min(workers, batches.count - round)
            found.withUnsafeMutableBufferPointer { foundBuffer in
                failures.withUnsafeMutableBufferPointer { failureBuffer in
                    let slots = SendableSlots(found: foundBuffer, failures: failureBuffer)
                    DispatchQueue.concurrentPerform(iterations: count) { worker in
                        do {
                            let rows = batches[round + worker]
                            let own = buffers[worker]
                            if own.batch.rows != rows.count * settings.samples || own.batch.cols != d {
                                own.batch = Matrix(rows: rows.count * settings.samples, cols: d)
                            }
                            own.batch.storage.withUnsafeMutableBufferPointer { buffer in
                                guard let base = buffer.baseAddress else { return }
                                for (i, r) in rows.enumerated() {
                                    var rng = SeededGenerator(
                                        seed: settings.seed ^ (UInt64(r) &* 0x9E37_79B9_7F4A_7C15))
                                    fillBall(
                                        base + i * settings.samples * d, center: points[r], samples: settings.samples,
                                        delta: Float(settings.delta), norm: settings.norm, rng: &rng)
                                }
                            }
                            try net.outputs(standardized: own.batch, reusing: &own.layers)
                            guard let logits = own.layers.last else { throw RobustError("the network has no layers") }
                            let out = Outputs(
                                logits: Matrix(rows: 0, cols: 0), measured: measured(logits, net, settings.output))
                            for (i, r) in rows.enumerated() {
                                var worst = 0.0, worstRow = i * settings.samples
                                for s in 0..<settings.samples {
                                    let dist = distance(out, i * settings.samples + s, centerOut, r)
                                    if dist > worst { worst = dist; worstRow = i * settings.samples + s }
                                }
                                slots.found[r] = (worst, own.batch.row(worstRow))
                            }
                        } catch {
                            slots.failures[worker] = error
                        }
                    }
                }
            }
            if let failure = failures.compactMap({ $0 }).first { throw failure }
            progress(batches[round + count - 1].last.map { $0 + 1 } ?? n)
        }
        return (found, n)
    }

    /// Writes `samples` points around `center` (rows of `out`): even rows uniform in the ball of
    /// radius `delta`, odd rows uniform on its surface.
    static func fillBall(
        _ out: UnsafeMutablePointer<Float>, center: [Float], samples: Int, delta: Float,
        norm: PerturbationNorm, rng: inout SeededGenerator
    ) {
        for s in 0..<samples {
            ballPoint(out + s * center.count, center: center, delta: delta, norm: norm, surface: s % 2 == 1, rng: &rng)
        }
    }

    /// Writes `center` plus a random offset, uniform in the ball of radius `delta` (or on its
    /// surface), to `row`.
    static func ballPoint(
        _ row: UnsafeMutablePointer<Float>, center: [Float], delta: Float, norm: PerturbationNorm,
        surface: Bool, rng: inout SeededGenerator
    ) {
        let d = center.count
        switch norm {
        case .l2:
            // A Gaussian direction, and a radius δ·U^(1/d) so that volume is uniform.
            rng.fillNormal(row, count: d)
            var n: Float = 0
            for j in 0..<d { n += row[j] * row[j] }
            n = n.squareRoot()
            let radius = surface ? delta : delta * Float(pow(rng.nextUnit(), 1 / Double(d)))
            let scale = n > 0 ? radius / n : 0
            for j in 0..<d { row[j] = center[j] + row[j] * scale }
        case .linf:
            for j in 0..<d { row[j] = center[j] + (Float(rng.nextUnit()) * 2 - 1) * delta }
            if surface, d > 0 { let j = rng.nextIndex(d); row[j] = center[j] + (rng.nextUnit() < 0.5 ? -delta : delta) }
        }
    }

    /// A random offset in the ball (or on its surface) of radius `delta`.
    static func sampleOffset(
        d: Int, delta: Float, norm: PerturbationNorm, surface: Bool,
        rng: inout SeededGenerator
    ) -> [Float] {
        let zero = [Float](repeating: 0, count: d)
        var v = zero
        v.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress {
                ballPoint(base, center: zero, delta: delta, norm: norm, surface: surface, rng: &rng)
            }
        }
        return v
    }

    /// The network's logits and the output ε is measured on, for points of its space.
    struct Outputs {
        var logits: Matrix
        /// Probabilities, logits, or the prediction in the target's units (one column).
        var measured: Matrix
    }

    static func outputs(_ net: MLP, _ x: Matrix, _ output: RobustOutput) throws -> Outputs {
        let logits = try BLASThreads.forProductsOf(size: net.layers.map { x.rows * $0.inputs * $0.outputs }.max() ?? 0)
        {
            try net.outputs(standardized: x)
        }
        return Outputs(logits: logits, measured: measured(logits, net, output))
    }

    /// What ε is measured on, from the logits: probabilities, the logits themselves, or a
    /// regression network's prediction in the target's units.
    static func measured(_ logits: Matrix, _ net: MLP, _ output: RobustOutput) -> Matrix {
        var m = logits
        if net.task.isClassification {
            if output == .probabilities { Kernels.softmaxRows(&m) }
        } else {
            for i in m.storage.indices { m.storage[i] = m.storage[i] * net.targetScale + net.targetMean }
        }
        return m
    }

    /// Euclidean distance between row `a` of `x` and row `b` of `y`, accumulated in Double.
    static func distance(_ x: Outputs, _ a: Int, _ y: Outputs, _ b: Int) -> Double {
        let k = x.measured.cols
        var sum = 0.0
        for c in 0..<k {
            let e = Double(x.measured[a, c]) - Double(y.measured[b, c])
            sum += e * e
        }
        return sum.squareRoot()
    }
}

/// Which features the output is fragile in.
public struct FeatureSensitivity: Sendable {
    /// Per feature, the mean over the examples of ‖∂f(x)/∂x_j‖₂ (f: the output ε is measured on,
    /// x_j in the units of δ): how far the output moves per unit of that feature.
    public var gradient: [Double]
    /// Per feature, the mean share of the counterexamples' displacement along it (squared
    /// components over the squared L2 length for L2 balls, absolute components over the L1 length
    /// for L∞); nil without counterexamples.
    public var displacementShare: [Double]?
    public var counterexamples: Int
}

extension Robustness {
    public static func sensitivity(_ model: MLP, x: Matrix, results: [RobustExample], settings: RobustSettings) throws
        -> FeatureSensitivity
    {
        let space = SpaceNetwork(model, units: settings.units)
        let net = space.net
        let d = x.cols
        var points = Matrix(rows: x.rows, cols: d)
        for r in 0..<x.rows { let p = space.toSpace(x.row(r)); for j in 0..<d { points[r, j] = p[j] } }
        let values = try net.forward(standardized: points)
        let logits = values[values.count - 1].post
        let m = measured(logits, net, settings.output)
        var squares = [Double](repeating: 0, count: x.rows * d)
        // One backward pass per output: the Jacobian's row c is the gradient of m_c.
        for c in 0..<m.cols {
            var seed = Matrix(rows: x.rows, cols: logits.cols)
            for r in 0..<x.rows {
                if !net.task.isClassification {
                    seed[r, 0] = net.targetScale
                } else if settings.output == .logits {
                    seed[r, c] = 1
                } else {
                    // ∂p_c/∂z_i = p_c (δ_ci − p_i).
                    for i in 0..<logits.cols { seed[r, i] = m[r, c] * ((i == c ? 1 : 0) - m[r, i]) }
                }
            }
            let g = try net.inputGradient(layer: net.layers.count - 1, seed: seed, values: values)
            for r in 0..<x.rows { for j in 0..<d { squares[r * d + j] += Double(g[r, j]) * Double(g[r, j]) } }
        }
        var gradient = [Double](repeating: 0, count: d)
        for r in 0..<x.rows {
            for j in 0..<d { gradient[j] += squares[r * d + j].squareRoot() / Double(max(x.rows, 1)) }
        }
        let displaced = results.filter { $0.verdict == .notRobust }.compactMap(\.displacement)
        var share: [Double]?
        if !displaced.isEmpty {
            var s = [Double](repeating: 0, count: d)
            for v in displaced {
                let parts = v.map { settings.norm == .l2 ? Double($0) * Double($0) : abs(Double($0)) }
                let total = parts.reduce(0, +)
                guard total > 0 else { continue }
                for j in 0..<min(d, parts.count) { s[j] += parts[j] / total / Double(displaced.count) }
            }
            share = s
        }
        return FeatureSensitivity(gradient: gradient, displacementShare: share, counterexamples: displaced.count)
    }
}
