import Foundation

/// Triangular filters spaced evenly on a mel scale, applied to a power or magnitude spectrum.
public struct MelFilterbank: Sendable {
    /// How frequencies map to mels.
    public enum Scale: String, Sendable, CaseIterable {
        /// 2595·log10(1 + f/700).
        case htk
        /// Linear below 1 kHz, logarithmic above (Slaney's Auditory Toolbox).
        case slaney
    }

    /// How each filter is scaled.
    public enum Normalization: String, Sendable, CaseIterable {
        /// Peak 1.
        case none
        /// Area 1 (each filter divided by its width in Hz, times 2).
        case slaney
    }

    /// Filter weights, one row of `bins` per filter.
    public let weights: [[Float]]
    /// For each filter, the bins where its weight is non-zero, and where those weights start
    /// in `packed` (every filter's non-zero weights, one after another).
    private let support: [Range<Int>]
    private let offsets: [Int]
    private let packed: [Float]

    /// Filters for a spectrum of `fftSize`-point frames at `sampleRate`.
    public init(filters: Int, fftSize: Int, sampleRate: Double, minimumFrequency: Double, maximumFrequency: Double,
                scale: Scale, normalization: Normalization) {
        let bins = fftSize / 2 + 1
        let binFrequencies = (0..<bins).map { Double($0) * sampleRate / Double(fftSize) }
        let low = Self.mel(minimumFrequency, scale), high = Self.mel(maximumFrequency, scale)
        let edges = (0..<(filters + 2)).map { Self.hertz(low + (high - low) * Double($0) / Double(filters + 1), scale) }
        var weights: [[Float]] = []
        var support: [Range<Int>] = []
        for filter in 0..<filters {
            let (left, centre, right) = (edges[filter], edges[filter + 1], edges[filter + 2])
            let scaleFactor = normalization == .slaney ? 2 / (right - left) : 1
            let row = binFrequencies.map { frequency -> Float in
                let rising = (frequency - left) / (centre - left)
                let falling = (right - frequency) / (right - centre)
                return Float(max(0, min(rising, falling)) * scaleFactor)
            }
            let first = row.firstIndex { $0 > 0 } ?? 0
            let last = row.lastIndex { $0 > 0 } ?? -1
            weights.append(row)
            support.append(first..<(last + 1))
        }
        self.weights = weights
        self.support = support
        offsets = support.indices.map { filter in support[..<filter].reduce(0) { $0 + $1.count } }
        packed = zip(weights, support).flatMap { row, bins in row[bins] }
    }

    /// The filter outputs for one spectrum.
    public func apply(_ spectrum: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        packed.withUnsafeBufferPointer { packed in
            for (filter, bins) in support.enumerated() {
                var sum: Float = 0
                var weight = offsets[filter]
                for bin in bins {
                    sum += packed[weight] * spectrum[bin]
                    weight += 1
                }
                output[filter] = sum
            }
        }
    }

    /// Frequency in Hz to mels.
    public static func mel(_ hertz: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 2595 * log10(1 + hertz / 700)
        case .slaney:
            let linearStep = 200.0 / 3, breakHertz = 1000.0, breakMel = breakHertz / linearStep
            return hertz < breakHertz ? hertz / linearStep : breakMel + log(hertz / breakHertz) / slaneyLogStep
        }
    }

    /// Mels to frequency in Hz.
    public static func hertz(_ mel: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 700 * (pow(10, mel / 2595) - 1)
        case .slaney:
            let linearStep = 200.0 / 3, breakHertz = 1000.0, breakMel = breakHertz / linearStep
            return mel < breakMel ? mel * linearStep : breakHertz * exp(slaneyLogStep * (mel - breakMel))
        }
    }

    /// Slaney's log-spaced region: 27 mels per factor 6.4 in frequency.
    private static let slaneyLogStep = log(6.4) / 27
}
