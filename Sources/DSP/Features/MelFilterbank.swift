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
    /// Spectrum values `apply` reads: the bins, and room past them for the last filter's
    /// zero-weight padding.
    public let spectrumLength: Int
    /// For each filter, the first bin where its weight is non-zero and where its weights start
    /// in `packed` (and, last, where the final filter's end): every filter's weights from that
    /// bin, padded with zeros to whole vectors of `Lanes`, one filter after another.
    private let starts: [Int]
    private let offsets: [Int]
    private let packed: [Float]
    typealias Lanes = SIMD8<Float>

    /// Filters for a spectrum of `fftSize`-point frames at `sampleRate`.
    public init(filters: Int, fftSize: Int, sampleRate: Double, minimumFrequency: Double, maximumFrequency: Double,
                scale: Scale, normalization: Normalization) {
        let bins = fftSize / 2 + 1
        let binFrequencies = (0..<bins).map { Double($0) * sampleRate / Double(fftSize) }
        let low = Self.mel(minimumFrequency, scale), high = Self.mel(maximumFrequency, scale)
        let edges = (0..<(filters + 2)).map { Self.hertz(low + (high - low) * Double($0) / Double(filters + 1), scale) }
        var weights: [[Float]] = []
        var starts: [Int] = [], offsets: [Int] = [], packed: [Float] = []
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
            let vectors = (max(0, last + 1 - first) + Lanes.scalarCount - 1) / Lanes.scalarCount
            weights.append(row)
            starts.append(first)
            offsets.append(packed.count)
            packed += (0..<(vectors * Lanes.scalarCount)).map { first + $0 <= last ? row[first + $0] : 0 }
        }
        offsets.append(packed.count)
        self.weights = weights
        self.starts = starts
        self.offsets = offsets
        self.packed = packed
        spectrumLength = max(bins, starts.indices.map { starts[$0] + offsets[$0 + 1] - offsets[$0] }.max() ?? 0)
    }

    /// The filter outputs for one spectrum (`spectrumLength` values: the bins, then anything
    /// finite). Each filter sums its weighted bins in `Lanes` partial sums, then adds those
    /// pairwise.
    public func apply(_ spectrum: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(spectrum.count >= spectrumLength)
        packed.withUnsafeBufferPointer { packed in
            guard let weights = packed.baseAddress.map(UnsafeRawPointer.init), let bins = spectrum.baseAddress.map(UnsafeRawPointer.init) else {
                for filter in starts.indices { output[filter] = 0 }  // no filter has a non-zero weight
                return
            }
            for filter in starts.indices {
                var sums = Lanes()
                for vector in 0..<((offsets[filter + 1] - offsets[filter]) / Lanes.scalarCount) {
                    let weight = weights.loadUnaligned(fromByteOffset: (offsets[filter] + vector * Lanes.scalarCount) * 4, as: Lanes.self)
                    let bin = bins.loadUnaligned(fromByteOffset: (starts[filter] + vector * Lanes.scalarCount) * 4, as: Lanes.self)
                    sums += weight * bin
                }
                let quarters = sums.lowHalf + sums.highHalf
                let halves = quarters.lowHalf + quarters.highHalf
                output[filter] = halves[0] + halves[1]
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
