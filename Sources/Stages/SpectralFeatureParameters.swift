import DSP
import Foundation
import StageKit

/// The parameters `logmel` and `mfcc` share, declared once, and how they become settings.
enum SpectralFeatureParameters {
    /// What goes into the mel filters.
    enum Spectrum: String, ParameterChoice { case power, magnitude }

    static let frame = Parameter<Double>("frame", default: 0.025, range: 0.001...1, unit: "s", doc: "window length")
    static let hop = Parameter<Double>("hop", default: 0.010, range: 0.001...1, unit: "s", doc: "time between frame starts")
    static let fftSize = Parameter<Int>("n-fft", default: 0, range: 0...largestFFT,
                                        doc: "FFT points, at least the frame; 0 means the next power of two")
    static let window = Parameter<WindowFunction>("window", default: .hann, doc: "window function")
    static let preemphasis = Parameter<Double>("preemphasis", default: 0.97, range: 0...0.999, doc: "pre-emphasis coefficient; 0 for none")
    static let mels = Parameter<Int>("mels", default: 40, range: 1...512, doc: "mel filters")
    static let fmin = Parameter<Double>("fmin", default: 0, range: 0...100_000, unit: "Hz", doc: "lowest filter edge")
    static let fmax = Parameter<Double>("fmax", default: 0, range: 0...100_000, unit: "Hz", doc: "highest filter edge; 0 means Nyquist")
    static let scale = Parameter<MelFilterbank.Scale>("scale", default: .slaney, doc: "mel scale: slaney (linear below 1 kHz) or htk")
    static let filterNorm = Parameter<MelFilterbank.Normalization>("filter-norm", default: .slaney,
                                                                   doc: "filter scaling: slaney (equal area) or none (peak 1)")
    static let spectrum = Parameter<Spectrum>("spectrum", default: .power, doc: "|X|² or |X| into the filters")
    static let log = Parameter<LogCompression>("log", default: .db, doc: "compression: db (10·log10), ln, or none")
    static let floor = Parameter<Double>("floor", default: 1e-10, range: 1e-30...1, doc: "smallest energy before the log")
    static let deltas = Parameter<Int>("deltas", default: 0, range: 0...2, doc: "append deltas (1) and delta-deltas (2)")
    static let deltaWidth = Parameter<Int>("delta-width", default: 9, range: 3...99, unit: "frames",
                                           doc: "regression window for deltas (odd); adds (width−1)/2 frames of delay per order")
    static let normalize = Parameter<NormalizationMode>("normalize", default: NormalizationMode.none,
                                                        doc: "mean/variance normalisation: per utterance (offline) or sliding (live)")
    static let normWindow = Parameter<Double>("norm-window", default: 3, range: 0.01...3600, unit: "s", doc: "sliding normalisation window")

    /// Every shared parameter, in the order `sergraph stages` lists them.
    static let all: [any AnyParameter] = [frame, hop, fftSize, window, preemphasis, mels, fmin, fmax, scale, filterNorm, spectrum,
                                          log, floor, deltas, deltaWidth, normalize, normWindow]

    /// FFT points the stages take at most (as `n-fft` does): the filterbank stays within tens of megabytes.
    static let largestFFT = 65536

    /// The log-mel settings for audio at `sampleRate`.
    /// - Throws: `StageError.format` when the frame or hop comes to no sample, the frame needs
    ///   more FFT points than `largestFFT` or does not fit `n-fft`, or the band is empty.
    static func logMel(_ parameters: Parameters, sampleRate: Double) throws -> LogMelSettings {
        let frameSeconds = parameters[Self.frame]
        let frame = try frameLength(Self.frame, in: parameters, sampleRate: sampleRate)
        let hop = try frameLength(Self.hop, in: parameters, sampleRate: sampleRate)
        var fftSize = parameters[Self.fftSize]
        if fftSize == 0 { fftSize = 1 << Int(ceil(log2(Double(max(frame, 2))))) }
        let nyquist = sampleRate / 2
        let fmin = parameters[Self.fmin]
        let fmax = parameters[Self.fmax] == 0 ? nyquist : parameters[Self.fmax]
        guard fftSize <= largestFFT else {
            throw StageError.format(port: "in", message: "a \(frame)-sample frame (\(frameSeconds.formatted) s at "
                                    + "\(sampleRate.formatted) Hz) needs \(fftSize) FFT points, more than the \(largestFFT) the stage takes; "
                                    + "shorten the frame or resample to a lower rate")
        }
        guard frame <= fftSize else {
            throw StageError.format(port: "in", message: "a \(frame)-sample frame does not fit \(fftSize) FFT points; raise n-fft")
        }
        guard hop <= fftSize else {
            throw StageError.format(port: "in", message: "the hop (\(hop) samples) is longer than the \(fftSize)-point frames")
        }
        guard fmin < fmax, fmax <= nyquist else {
            throw StageError.format(port: "in", message: "the band \(fmin.formatted)–\(fmax.formatted) Hz does not fit below Nyquist (\(nyquist.formatted) Hz)")
        }
        return LogMelSettings(frameLength: frame, hop: hop, fftSize: fftSize, window: parameters[Self.window],
                              preemphasis: Float(parameters[Self.preemphasis]), filters: parameters[Self.mels],
                              minimumFrequency: fmin, maximumFrequency: fmax,
                              scale: parameters[Self.scale], normalization: parameters[Self.filterNorm],
                              power: parameters[Self.spectrum] == .power ? 2 : 1,
                              compression: parameters[Self.log], floor: Float(parameters[Self.floor]))
    }
}
