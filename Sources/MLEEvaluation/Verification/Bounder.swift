import CKernels
import Foundation
import MLETensor

/// A buffer of doubles that grows on demand and is reused from batch to batch (one thread's).
struct GrowingBuffer {
    private(set) var pointer: UnsafeMutablePointer<Double>
    private(set) var capacity: Int

    init() {
        pointer = .allocate(capacity: 1)
        capacity = 1
    }

    /// Room for `count` values; contents are not kept when it grows.
    mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Double> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, capacity * 2)
            pointer = .allocate(capacity: capacity)
        }
        return pointer
    }

    func free() { pointer.deallocate() }
}

/// Bounds batches of domains of one network: forward symbolic propagation for the hidden units,
/// CROWN's backward pass for the unsafe constraints (`Verifier` explains the method). One
/// thread uses one bounder; its buffers live as long as it does.
final class Bounder: @unchecked Sendable {
    let net: VerifierNetwork
    private var lowerFn = GrowingBuffer(), upperFn = GrowingBuffer()
    private var nextLower = GrowingBuffer(), nextUpper = GrowingBuffer()
    private var lowerBox = GrowingBuffer(), upperBox = GrowingBuffer()
    private var nextLowerBox = GrowingBuffer(), nextUpperBox = GrowingBuffer()
    private var rows = GrowingBuffer(), nextRows = GrowingBuffer()
    private var inputLower = GrowingBuffer(), inputUpper = GrowingBuffer()
    /// Pre-activation bounds of each hidden layer, units × domains.
    private var preLower: [GrowingBuffer], preUpper: [GrowingBuffer]
    /// Each hidden layer's ReLU relaxation, domain-major (domain × units) so a row's pass over
    /// its units reads them in order: the lower line's slope (1 or 0), the upper line's slope
    /// and its intercept (−slope·lower, ≥ 0).
    private var lowSlope: [GrowingBuffer], upSlope: [GrowingBuffer], upIntercept: [GrowingBuffer]

    init(_ net: VerifierNetwork) {
        self.net = net
        preLower = (0..<max(net.layerCount - 1, 0)).map { _ in GrowingBuffer() }
        preUpper = (0..<max(net.layerCount - 1, 0)).map { _ in GrowingBuffer() }
        lowSlope = preLower.map { _ in GrowingBuffer() }
        upSlope = preLower.map { _ in GrowingBuffer() }
        upIntercept = preLower.map { _ in GrowingBuffer() }
    }

    deinit {
        for b in [
            lowerFn, upperFn, nextLower, nextUpper, lowerBox, upperBox, nextLowerBox, nextUpperBox, rows, nextRows
        ] {
            b.free()
        }
        inputLower.free()
        inputUpper.free()
        for b in preLower + preUpper + lowSlope + upSlope + upIntercept { b.free() }
    }

    func bound(_ domains: ArraySlice<Domain>, regions: [[VerificationProperty.Constraint]]) -> [DomainOutcome] {
        let list = Array(domains)
        let nd = list.count, d = net.inputs, c = d + 1, cols = nd * c, nl = net.layerCount
        let hiddenUnits = net.widths.dropFirst().dropLast().reduce(0, +)
        let lo = inputLower.reserve(nd * d), hi = inputUpper.reserve(nd * d)
        for (k, dom) in list.enumerated() {
            for i in 0..<d {
                lo[k * d + i] = dom.lower[i]
                hi[k * d + i] = dom.upper[i]
            }
        }

        // Forward: each unit's lower and upper linear functions of the inputs (units × cols, a
        // block of d coefficients and a constant per domain), and its interval (units × nd).
        var m = d
        var la = lowerFn.reserve(m * cols), ua = upperFn.reserve(m * cols)
        var al = lowerBox.reserve(m * nd), au = upperBox.reserve(m * nd)
        la.update(repeating: 0, count: m * cols)
        for i in 0..<d { for k in 0..<nd { la[i * cols + k * c + i] = 1 } }
        ua.update(from: la, count: m * cols)
        for i in 0..<d {
            for k in 0..<nd {
                al[i * nd + k] = lo[k * d + i]
                au[i * nd + k] = hi[k * d + i]
            }
        }
        for l in 0..<(nl - 1) {
            let n = net.widths[l + 1]
            let zl = nextLower.reserve(n * cols), zu = nextUpper.reserve(n * cols)
            let bl = nextLowerBox.reserve(n * nd), bu = nextUpperBox.reserve(n * nd)
            propagate(l, (la, ua, al, au), into: (zl, zu, bl, bu), cols: cols, domains: nd)
            let pl = preLower[l].reserve(n * nd), pu = preUpper[l].reserve(n * nd)
            let bias = net.b[l]
            for o in 0..<n {
                let bo = bias[o]
                for k in 0..<nd {
                    let base = o * cols + k * c
                    zl[base + d] += bo
                    zu[base + d] += bo
                    // The functions' extremes over the domain's box.
                    var sl = zl[base + d], su = zu[base + d]
                    for i in 0..<d {
                        let a = zl[base + i], e = zu[base + i]
                        let x0 = lo[k * d + i], x1 = hi[k * d + i]
                        sl += a >= 0 ? a * x0 : a * x1
                        su += e >= 0 ? e * x1 : e * x0
                    }
                    let lower = max(sl, bl[o * nd + k] + bo), upper = min(su, bu[o * nd + k] + bo)
                    pl[o * nd + k] = lower
                    pu[o * nd + k] = max(upper, lower)
                }
            }
            // What the parents' bounds showed stays true in their children.
            let offset = net.widths[1..<(l + 1)].reduce(0, +)
            for k in 0..<nd where !list[k].stable.isEmpty {
                let known = list[k].stable
                for o in 0..<n {
                    let at = o * nd + k
                    switch known[offset + o] {
                    case 1:
                        pl[at] = max(pl[at], 0)
                        pu[at] = max(pu[at], pl[at])
                    case 2:
                        pu[at] = min(pu[at], 0)
                        pl[at] = min(pl[at], pu[at])
                    default: break
                    }
                }
            }
            // CROWN for the units these bounds leave unstable (a stable unit's relaxation does
            // not depend on its bounds): forward propagation loosens with depth, and the
            // back-substitution is what keeps six hidden layers tight. The first layer's
            // bounds are already exact.
            if l > 0 {
                var unstable: [(unit: Int, domain: Int)] = []
                for o in 0..<n {
                    for k in 0..<nd where pl[o * nd + k] < 0 && pu[o * nd + k] > 0 { unstable.append((o, k)) }
                }
                if !unstable.isEmpty {
                    // Rows ±unit with the adaptive lower lines (bounding them with the parallel
                    // ones as well, as the final rows are, cost twice as much on ACAS Xu and
                    // saved no branches).
                    let nr = 2 * unstable.count
                    var domainOf = [Int](repeating: 0, count: nr)
                    var constant = [Double](repeating: 0, count: nr)
                    var units = [(unit: Int, sign: Double)](repeating: (0, 1), count: nr)
                    for (u, e) in unstable.enumerated() {
                        units[2 * u] = (e.unit, 1)
                        units[2 * u + 1] = (e.unit, -1)
                        domainOf[2 * u] = e.domain
                        domainOf[2 * u + 1] = e.domain
                    }
                    let onInputs = backSubstitute(
                        from: l, rows: nr, domainOf: domainOf, constant: &constant, units: units)
                    for (u, e) in unstable.enumerated() {
                        let k = e.domain
                        var lower = constant[2 * u], negUpper = constant[2 * u + 1]
                        for i in 0..<d {
                            let a = onInputs[2 * u * d + i], a2 = onInputs[(2 * u + 1) * d + i]
                            let x0 = lo[k * d + i], x1 = hi[k * d + i]
                            lower += a >= 0 ? a * x0 : a * x1
                            negUpper += a2 >= 0 ? a2 * x0 : a2 * x1
                        }
                        let at = e.unit * nd + k
                        pl[at] = max(pl[at], lower)
                        pu[at] = max(min(pu[at], -negUpper), pl[at])
                    }
                }
            }
            // The relaxation back-substitution will use: blocks 0..<nd with CROWN's adaptive
            // lower line (slope 1 or 0), blocks nd..<2K with the lower line parallel to the upper
            // one (slope upper/(upper − lower)). The final rows are bounded with both and the
            // better kept (a cheap step towards α-CROWN's optimised slopes: on ACAS Xu 4_2
            // property 2 it cut the sub-boxes from 377,389 to 220,703).
            let sLow = lowSlope[l].reserve(2 * n * nd), sUp = upSlope[l].reserve(2 * n * nd)
            let tUp = upIntercept[l].reserve(2 * n * nd)
            for k in 0..<nd {
                for o in 0..<n {
                    let lower = pl[o * nd + k], upper = pu[o * nd + k], at = k * n + o, alt = (nd + k) * n + o
                    if upper <= 0 {
                        (sLow[at], sUp[at], tUp[at]) = (0, 0, 0)
                        (sLow[alt], sUp[alt], tUp[alt]) = (0, 0, 0)
                    } else if lower >= 0 {
                        (sLow[at], sUp[at], tUp[at]) = (1, 1, 0)
                        (sLow[alt], sUp[alt], tUp[alt]) = (1, 1, 0)
                    } else {
                        let s = upper / (upper - lower)
                        (sLow[at], sUp[at], tUp[at]) = (upper < -lower ? 0 : 1, s, -s * lower)
                        (sLow[alt], sUp[alt], tUp[alt]) = (s, s, -s * lower)
                    }
                }
            }
            // The ReLU: functions and intervals of the activations.
            for o in 0..<n {
                for k in 0..<nd {
                    let lower = pl[o * nd + k], upper = pu[o * nd + k]
                    let base = o * cols + k * c
                    if upper <= 0 {
                        for i in 0...d {
                            zl[base + i] = 0
                            zu[base + i] = 0
                        }
                        bl[o * nd + k] = 0
                        bu[o * nd + k] = 0
                    } else if lower >= 0 {
                        bl[o * nd + k] = lower
                        bu[o * nd + k] = upper
                    } else {
                        let s = upper / (upper - lower)
                        for i in 0...d { zu[base + i] *= s }
                        zu[base + d] -= s * lower
                        if upper < -lower { for i in 0...d { zl[base + i] = 0 } }
                        bl[o * nd + k] = 0
                        bu[o * nd + k] = upper
                    }
                }
            }
            swap(&lowerFn, &nextLower)
            swap(&upperFn, &nextUpper)
            swap(&lowerBox, &nextLowerBox)
            swap(&upperBox, &nextUpperBox)
            la = zl
            ua = zu
            al = bl
            au = bu
            m = n
        }

        // The outputs' linear functions and intervals, for the forward bounds of the final rows.
        let out = net.outputs, last = nl - 1
        let yl = nextLower.reserve(out * cols), yu = nextUpper.reserve(out * cols)
        let ybl = nextLowerBox.reserve(out * nd), ybu = nextUpperBox.reserve(out * nd)
        propagate(last, (la, ua, al, au), into: (yl, yu, ybl, ybu), cols: cols, domains: nd)
        /// A row's lower bound from forward propagation alone: interval propagation and the
        /// outputs' symbolic functions (CROWN's adaptive lower line can be looser than either).
        var fn = [Double](repeating: 0, count: c)
        let bias = net.b[last]
        func forwardBound(_ a: [Double], _ constant: Double, _ k: Int) -> Double {
            var interval = constant
            for i in 0..<d { fn[i] = 0 }
            fn[d] = constant
            for j in 0..<out where a[j] != 0 {
                let aj = a[j]
                interval += aj * ((aj > 0 ? ybl[j * nd + k] : ybu[j * nd + k]) + bias[j])
                let src = aj > 0 ? yl : yu, base = j * cols + k * c
                for i in 0..<d { fn[i] += aj * src[base + i] }
                fn[d] += aj * (src[base + d] + bias[j])
            }
            var symbolic = fn[d]
            for i in 0..<d { symbolic += fn[i] >= 0 ? fn[i] * lo[k * d + i] : fn[i] * hi[k * d + i] }
            return max(interval, symbolic)
        }

        // Backward: a row per (domain, open region, constraint), its lower bound over the box.
        var owner: [(domain: Int, region: Int, constraint: Int)] = []
        var blocks: [Int] = []
        var rowStart = [Int](repeating: 0, count: nd + 1)
        for (k, dom) in list.enumerated() {
            rowStart[k] = owner.count
            for r in dom.open {
                for j in regions[r].indices {
                    owner.append((k, r, j))
                    blocks.append(k)
                    owner.append((k, r, j))
                    blocks.append(nd + k)
                }
            }
        }
        rowStart[nd] = owner.count
        let nr = owner.count
        var forward = [Double](repeating: -.infinity, count: nr)
        for (r, o) in owner.enumerated() where r == 0 || owner[r - 1] != o {
            let con = regions[o.region][o.constraint]
            forward[r] = forwardBound(con.coefficients, con.constant, o.domain)
        }
        var lam = rows.reserve(nr * out)
        var constant = [Double](repeating: 0, count: nr)
        for (r, o) in owner.enumerated() {
            let con = regions[o.region][o.constraint]
            for j in 0..<out { lam[r * out + j] = con.coefficients[j] }
            constant[r] = con.constant
        }
        lam = backSubstitute(from: nl - 1, rows: nr, domainOf: blocks, constant: &constant)

        // Per domain: refute regions, pick a candidate input and a split.
        var outcomes = [DomainOutcome](repeating: DomainOutcome(), count: nd)
        var best = [Int: (value: Double, row: Int)]()
        for k in 0..<nd {
            best.removeAll(keepingCapacity: true)
            var regionOrder: [Int] = []
            for r in rowStart[k]..<rowStart[k + 1] {
                var v = constant[r]
                for i in 0..<d {
                    let a = lam[r * d + i]
                    v += a >= 0 ? a * lo[k * d + i] : a * hi[k * d + i]
                }
                v = max(v, forward[r])
                // A bound that overflowed (a box of 1e300) is no proof: NaN counts as −∞.
                let safe = v.isNaN ? -.infinity : v - Verifier.margin * (1 + abs(v))
                let region = owner[r].region
                if best[region] == nil { regionOrder.append(region) }
                if best[region].map({ safe > $0.value }) ?? true { best[region] = (safe, r) }
            }
            var outcome = DomainOutcome()
            var worstRow = -1
            for region in regionOrder {
                guard let b = best[region], b.value <= 0 else { continue }
                outcome.openRegions.append(region)
                var x = [Double](repeating: 0, count: d)
                for i in 0..<d {
                    let a = lam[b.row * d + i]
                    x[i] = a > 0 ? lo[k * d + i] : a < 0 ? hi[k * d + i] : (lo[k * d + i] + hi[k * d + i]) / 2
                }
                outcome.candidates.append((x, region))
                outcome.candidates.append(((0..<d).map { (lo[k * d + $0] + hi[k * d + $0]) / 2 }, region))
                if b.value < outcome.lowest {
                    outcome.lowest = b.value
                    worstRow = b.row
                }
            }
            // An empty unsafe region (no constraint) is open everywhere.
            for region in list[k].open where regions[region].isEmpty {
                outcome.openRegions.append(region)
                outcome.candidates.append(((0..<d).map { (lo[k * d + $0] + hi[k * d + $0]) / 2 }, region))
                outcome.lowest = -.infinity
            }
            if !outcome.openRegions.isEmpty {
                // Halve the widest input at even depths, at odd ones the input whose
                // coefficient in the worst bound times its width is largest (ReluVal's smear):
                // on ACAS Xu each alone leaves some instances thousands of times slower.
                let widest = list[k].depth % 2 == 0
                var split = 0, score = -1.0
                for i in 0..<d {
                    let width = hi[k * d + i] - lo[k * d + i]
                    let s = worstRow >= 0 && !widest ? abs(lam[worstRow * d + i]) * width : width
                    if s > score { (split, score) = (i, s) }
                }
                if score <= 0 {
                    for i in 0..<d where hi[k * d + i] - lo[k * d + i] > score {
                        (split, score) = (i, hi[k * d + i] - lo[k * d + i])
                    }
                }
                outcome.splitDimension = split
            }
            if !outcome.openRegions.isEmpty {
                var stable = [UInt8](repeating: 0, count: hiddenUnits)
                var at = 0
                for l in 0..<(nl - 1) {
                    let n = net.widths[l + 1], pl = preLower[l].pointer, pu = preUpper[l].pointer
                    for o in 0..<n {
                        stable[at] = pl[o * nd + k] >= 0 ? 1 : pu[o * nd + k] <= 0 ? 2 : 0
                        at += 1
                    }
                }
                outcome.stable = stable
            }
            outcomes[k] = outcome
        }
        return outcomes
    }

    /// Layer l's pre-activations from its inputs' lower and upper linear functions (inputs ×
    /// cols) and intervals (inputs × domains), without the bias: W⁺·lower + W⁻·upper and
    /// W⁺·upper + W⁻·lower for each.
    private func propagate(
        _ l: Int,
        _ from: (
            lower: UnsafeMutablePointer<Double>, upper: UnsafeMutablePointer<Double>,
            lowerBox: UnsafeMutablePointer<Double>, upperBox: UnsafeMutablePointer<Double>
        ),
        into: (
            lower: UnsafeMutablePointer<Double>, upper: UnsafeMutablePointer<Double>,
            lowerBox: UnsafeMutablePointer<Double>, upperBox: UnsafeMutablePointer<Double>
        ),
        cols: Int, domains nd: Int
    ) {
        let n = net.widths[l + 1], m = net.widths[l]
        net.wPos[l].withUnsafeBufferPointer { wp in
            net.wNeg[l].withUnsafeBufferPointer { wn in
                guard let p = wp.baseAddress, let q = wn.baseAddress else { return }
                for (width, a, b, lower, upper) in [
                    (cols, from.lower, from.upper, into.lower, into.upper),
                    (nd, from.lowerBox, from.upperBox, into.lowerBox, into.upperBox)
                ] {
                    DoubleGEMM.multiply(p, a, into: lower, m: n, n: width, k: m)
                    DoubleGEMM.multiply(q, b, into: lower, m: n, n: width, k: m, beta: 1)
                    DoubleGEMM.multiply(p, b, into: upper, m: n, n: width, k: m)
                    DoubleGEMM.multiply(q, a, into: upper, m: n, n: width, k: m, beta: 1)
                }
            }
        }
    }

    /// Moves nr rows of coefficients on layer `top`'s linear outputs (in `rows`) down to the
    /// inputs, CROWN's way: through each linear layer (its bias into `constant`), and through
    /// each ReLU by the relaxation that bounds the row from below (the lower line where the
    /// coefficient is positive, the triangle's upper side where it is negative), using the
    /// pre-activation bounds in `preLower`/`preUpper`. Returns the rows on the inputs (nr × d).
    private func backSubstitute(
        from top: Int, rows nr: Int, domainOf: [Int], constant: inout [Double],
        units: [(unit: Int, sign: Double)]? = nil
    ) -> UnsafeMutablePointer<Double> {
        var lam = rows.pointer
        for l in stride(from: top, through: 0, by: -1) {
            let n = net.widths[l + 1], mm = net.widths[l]
            let bias = net.b[l]
            let next = nextRows.reserve(nr * mm)
            if l == top, let units {
                // Rows that are ±(one unit): its bias and its row of weights, gathered.
                net.w[l].withUnsafeBufferPointer { wl in
                    for (r, u) in units.enumerated() {
                        constant[r] += u.sign * bias[u.unit]
                        for i in 0..<mm { next[r * mm + i] = u.sign * wl[u.unit * mm + i] }
                    }
                }
            } else {
                var dots = [Double](repeating: 0, count: nr)
                bias.withUnsafeBufferPointer { b in
                    dots.withUnsafeMutableBufferPointer { out in
                        guard let bp = b.baseAddress, let op = out.baseAddress else { return }
                        mle_row_dots(lam, bp, nr, n, 0, op)
                    }
                }
                for r in 0..<nr { constant[r] += dots[r] }
                net.w[l].withUnsafeBufferPointer { wl in
                    guard let p = wl.baseAddress else { return }
                    DoubleGEMM.multiply(lam, p, into: next, m: nr, n: mm, k: n)
                }
            }
            if l > 0 {
                domainOf.withUnsafeBufferPointer { owner in
                    constant.withUnsafeMutableBufferPointer { c in
                        guard let o = owner.baseAddress, let cp = c.baseAddress else { return }
                        mle_crown_relax_lower(
                            next, nr, mm, o, lowSlope[l - 1].pointer, upSlope[l - 1].pointer,
                            upIntercept[l - 1].pointer, cp)
                    }
                }
            }
            swap(&rows, &nextRows)
            lam = next
        }

        return lam
    }
}
