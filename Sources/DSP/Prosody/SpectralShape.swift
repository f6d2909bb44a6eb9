import Foundation

/// The spectral balance descriptors of eGeMAPS, from the power spectrum of a Hann-windowed
/// frame.
public struct SpectralShape: Sendable, Equatable {
    /// Slope of the least-squares line through the power spectrum in dB against frequency
    /// in Hz, over 0–500 Hz (DC excluded), in dB/Hz.
    public var slopeLow: Double
    /// The same over 500–1500 Hz, in dB/Hz.
    public var slopeMid: Double
    /// Energy in 50–1000 Hz over energy in 1–5 kHz (or up to the Nyquist frequency), in dB.
    public var alphaRatio: Double

    /// Spectral shape descriptors with these values.
    public init(slopeLow: Double, slopeMid: Double, alphaRatio: Double) {
        self.slopeLow = slopeLow
        self.slopeMid = slopeMid
        self.alphaRatio = alphaRatio
    }

    /// The bands, in Hz, as eGeMAPS defines them.
    static let lowSlopeBand = 0.0..<500.0, midSlopeBand = 500.0..<1500.0
    static let alphaLowBand = 50.0..<1000.0, alphaHighBand = 1000.0..<5000.0
}

/// Computes `SpectralShape` for frames of one length and sample rate: a Hann window and the
/// power spectrum through `RealFFT` (FFTW), planned once.
public struct SpectralShapeAnalyzer {
    private let sampleRate: Double
    private let window: [Float]
    private let fft: RealFFT

    /// An analyzer for frames of `length` samples at `sampleRate`.
    public init(length: Int, sampleRate: Double) {
        self.sampleRate = sampleRate
        window = WindowFunction.hann.coefficients(length: length, frameLength: length)
        fft = RealFFT(size: length)
    }

    /// The spectral shape of `frame` (as many samples as the analyzer was made for).
    public func shape(of frame: [Double]) -> SpectralShape {
        let power = powerSpectrum(frame)
        let binHz = sampleRate / Double(window.count)
        let frequencies = power.indices.map { Double($0) * binHz }
        func bins(_ band: Range<Double>) -> [Int] { power.indices.filter { $0 > 0 && band.contains(frequencies[$0]) } }
        func slope(_ band: Range<Double>) -> Double {
            let selected = bins(band)
            return SummaryStatistics.slope(x: selected.map { frequencies[$0] },
                                    y: selected.map { SummaryStatistics.powerDecibels(power[$0], floor: -200) })
        }
        func energy(_ band: Range<Double>) -> Double { bins(band).reduce(0) { $0 + power[$1] } }
        let low = energy(SpectralShape.alphaLowBand), high = energy(SpectralShape.alphaHighBand)
        return SpectralShape(slopeLow: slope(SpectralShape.lowSlopeBand), slopeMid: slope(SpectralShape.midSlopeBand),
                             alphaRatio: low > 0 && high > 0 ? 10 * log10(low / high) : 0)
    }

    /// |X[k]|² of the windowed frame.
    private func powerSpectrum(_ frame: [Double]) -> [Double] {
        precondition(frame.count == window.count, "frames must have the analyzer's length")
        let windowed = zip(frame, window).map { Float($0) * $1 }
        var power = [Float](repeating: 0, count: fft.bins)
        windowed.withUnsafeBufferPointer { input in
            power.withUnsafeMutableBufferPointer { fft.spectrum(of: input, power: 2, into: $0) }
        }
        return power.map(Double.init)
    }
}
