/// How well one frame of samples repeats itself at each lag, as YIN measures it: the
/// difference function d(τ) = Σ (x[j] − x[j+τ])² over `window` samples placed so that the
/// two compared stretches are centred on the frame's centre at every lag, its cumulative
/// mean normalized form d′(τ), and the normalized autocorrelation derived from d(τ) and the
/// energies of the two stretches.
public struct PeriodicityAnalysis {
    /// The shortest and longest lag searched, in samples.
    public let lags: ClosedRange<Int>
    /// Samples compared at each lag.
    public let window: Int
    /// d(τ) for τ = 0 ... lags.upperBound + 1.
    public let difference: [Double]
    /// d′(τ) = d(τ) / mean(d(1...τ)), with d′(0) = 1; small where the frame repeats after τ.
    public let normalizedDifference: [Double]
    /// Σ x[j]² over the earlier and the later compared stretch, per lag.
    private let energies: [(earlier: Double, later: Double)]

    /// Analyses `frame` at lags `lags`; the frame must hold at least `lags.upperBound + 2`
    /// samples, and those beyond the longest lag set the compared window.
    public init(_ frame: [Double], lags: ClosedRange<Int>) {
        precondition(lags.lowerBound >= 1 && frame.count >= lags.upperBound + 2, "the frame must be longer than the longest lag")
        self.lags = lags
        let lastLag = lags.upperBound + 1
        let window = frame.count - lastLag
        self.window = window
        var cumulativeEnergy = [0.0]
        for sample in frame { cumulativeEnergy.append(cumulativeEnergy.last! + sample * sample) }
        func energy(from start: Int) -> Double { cumulativeEnergy[start + window] - cumulativeEnergy[start] }
        var difference = [Double](repeating: 0, count: lastLag + 1)
        var energies: [(earlier: Double, later: Double)] = []
        frame.withUnsafeBufferPointer { x in
            for lag in 0...lastLag {
                let start = (frame.count - window - lag) / 2
                energies.append((energy(from: start), energy(from: start + lag)))
                difference[lag] = squaredDistance(x, from: start, to: start + lag, count: window)
            }
        }
        var normalized = [Double](repeating: 1, count: lastLag + 1)
        var runningSum = 0.0
        for lag in 1...lastLag {
            runningSum += difference[lag]
            normalized[lag] = runningSum > 0 ? difference[lag] * Double(lag) / runningSum : 1
        }
        self.difference = difference
        self.energies = energies
        normalizedDifference = normalized
    }

    /// The normalized autocorrelation at `lag`, Σ x[j]·x[j+τ] / √(Σ x[j]² · Σ x[j+τ]²),
    /// in −1...1; 0 for silence.
    public func correlation(atLag lag: Int) -> Double {
        let (earlier, later) = energies[lag]
        guard earlier * later > 0 else { return 0 }
        let product = (earlier + later - difference[lag]) / 2
        return min(1, max(-1, product / (earlier * later).squareRoot()))
    }

    /// The lags in the search range where d′ has a local minimum, shortest first.
    public var dips: [Int] {
        lags.filter { lag in
            normalizedDifference[lag] <= normalizedDifference[lag - 1] && normalizedDifference[lag] <= normalizedDifference[lag + 1]
        }
    }

    /// The lag of the deepest d′ in the search range.
    public var deepestLag: Int {
        lags.min { normalizedDifference[$0] < normalizedDifference[$1] }!
    }

    /// `lag` refined to a fraction of a sample by a parabola through d at its neighbours.
    public func refined(_ lag: Int) -> Double {
        Double(lag) + ThreePointParabola(difference[lag - 1], difference[lag], difference[lag + 1]).vertexOffset
    }

    /// The largest correlation near `lag`, interpolated between samples by a parabola.
    public func peakCorrelation(near lag: Int) -> Double {
        let parabola = ThreePointParabola(correlation(atLag: lag - 1), correlation(atLag: lag), correlation(atLag: lag + 1))
        return min(1, max(correlation(atLag: lag), parabola.vertexValue))
    }

    /// The largest correlation at any lag in the search range (how periodic the frame is
    /// at its most periodic lag).
    public var bestCorrelation: Double {
        lags.map(correlation(atLag:)).max()!
    }
}

/// Σ (x[a + j] − x[b + j])² for j in 0..<count, summed in four independent lanes so the
/// additions overlap.
private func squaredDistance(_ x: UnsafeBufferPointer<Double>, from a: Int, to b: Int, count: Int) -> Double {
    var lanes = (0.0, 0.0, 0.0, 0.0)
    var j = 0
    while j + 4 <= count {
        let d0 = x[a + j] - x[b + j], d1 = x[a + j + 1] - x[b + j + 1]
        let d2 = x[a + j + 2] - x[b + j + 2], d3 = x[a + j + 3] - x[b + j + 3]
        lanes.0 += d0 * d0
        lanes.1 += d1 * d1
        lanes.2 += d2 * d2
        lanes.3 += d3 * d3
        j += 4
    }
    while j < count {
        let d = x[a + j] - x[b + j]
        lanes.0 += d * d
        j += 1
    }
    return (lanes.0 + lanes.1) + (lanes.2 + lanes.3)
}

/// The parabola through three equally spaced values at offsets −1, 0 and 1.
struct ThreePointParabola {
    let before: Double, middle: Double, after: Double

    init(_ before: Double, _ middle: Double, _ after: Double) {
        (self.before, self.middle, self.after) = (before, middle, after)
    }

    private var curvature: Double { before - 2 * middle + after }

    /// Where the parabola turns, relative to the middle value, within ±0.5 (0 when flat).
    var vertexOffset: Double {
        guard curvature != 0 else { return 0 }
        return min(0.5, max(-0.5, (before - after) / (2 * curvature)))
    }

    /// The parabola's value where it turns.
    var vertexValue: Double {
        let offset = vertexOffset
        return middle + offset * (after - before) / 2 + offset * offset * curvature / 2
    }
}
