import DSP
import Foundation
import StageKit

/// The parameters `logmel` and `mfcc` share, declared once, and how they become settings.
enum SpectralFeatureParameters {
    static let specs: [ParameterSpec] = [
        ParameterSpec("frame", .number, default: .number(0.025), range: 0.001...1, unit: "s", doc: "window length"),
        ParameterSpec("hop", .number, default: .number(0.010), range: 0.001...1, unit: "s", doc: "time between frame starts"),
        ParameterSpec("n-fft", .integer, default: .integer(0), range: 0...Double(largestFFT),
                      doc: "FFT points, at least the frame; 0 means the next power of two"),
        ParameterSpec("window", .choice(WindowFunction.allCases.map(\.rawValue)), default: .text("hann"), doc: "window function"),
        ParameterSpec("preemphasis", .number, default: .number(0.97), range: 0...0.999, doc: "pre-emphasis coefficient; 0 for none"),
        ParameterSpec("mels", .integer, default: .integer(40), range: 1...512, doc: "mel filters"),
        ParameterSpec("fmin", .number, default: .number(0), range: 0...100_000, unit: "Hz", doc: "lowest filter edge"),
        ParameterSpec("fmax", .number, default: .number(0), range: 0...100_000, unit: "Hz", doc: "highest filter edge; 0 means Nyquist"),
        ParameterSpec("scale", .choice(MelFilterbank.Scale.allCases.map(\.rawValue)), default: .text("slaney"),
                      doc: "mel scale: slaney (linear below 1 kHz) or htk"),
        ParameterSpec("filter-norm", .choice(MelFilterbank.Normalization.allCases.map(\.rawValue)), default: .text("slaney"),
                      doc: "filter scaling: slaney (equal area) or none (peak 1)"),
        ParameterSpec("spectrum", .choice(["power", "magnitude"]), default: .text("power"), doc: "|X|² or |X| into the filters"),
        ParameterSpec("log", .choice(LogCompression.allCases.map(\.rawValue)), default: .text("db"),
                      doc: "compression: db (10·log10), ln, or none"),
        ParameterSpec("floor", .number, default: .number(1e-10), range: 1e-30...1, doc: "smallest energy before the log"),
        ParameterSpec("deltas", .integer, default: .integer(0), range: 0...2, doc: "append deltas (1) and delta-deltas (2)"),
        ParameterSpec("delta-width", .integer, default: .integer(9), range: 3...99, unit: "frames",
                      doc: "regression window for deltas (odd); adds (width−1)/2 frames of delay per order"),
        ParameterSpec("normalize", .choice(NormalizationMode.allCases.map(\.rawValue)), default: .text("none"),
                      doc: "mean/variance normalisation: per utterance (offline) or sliding (live)"),
        ParameterSpec("norm-window", .number, default: .number(3), range: 0.01...3600, unit: "s", doc: "sliding normalisation window"),
    ]

    /// FFT points the stages take at most (as `n-fft` does): the filterbank stays within tens of megabytes.
    static let largestFFT = 65536

    /// The log-mel settings for audio at `sampleRate`.
    /// - Throws: `StageError.format` when the frame or hop comes to no sample, the frame needs
    ///   more FFT points than `largestFFT` or does not fit `n-fft`, or the band is empty.
    static func logMel(_ parameters: Parameters, sampleRate: Double) throws -> LogMelSettings {
        let frame = try frameLength("frame", seconds: parameters.number("frame"), sampleRate: sampleRate)
        let hop = try frameLength("hop", seconds: parameters.number("hop"), sampleRate: sampleRate)
        var fftSize = parameters.integer("n-fft")
        if fftSize == 0 { fftSize = 1 << Int(ceil(log2(Double(max(frame, 2))))) }
        let nyquist = sampleRate / 2
        let fmax = parameters.number("fmax") == 0 ? nyquist : parameters.number("fmax")
        guard fftSize <= largestFFT else {
            throw StageError.format(port: "in", message: "a \(frame)-sample frame (\(parameters.number("frame").formatted) s at "
                                    + "\(sampleRate.formatted) Hz) needs \(fftSize) FFT points, more than the \(largestFFT) the stage takes; "
                                    + "shorten the frame or resample to a lower rate")
        }
        guard frame <= fftSize else {
            throw StageError.format(port: "in", message: "a \(frame)-sample frame does not fit \(fftSize) FFT points; raise n-fft")
        }
        guard hop <= fftSize else {
            throw StageError.format(port: "in", message: "the hop (\(hop) samples) is longer than the \(fftSize)-point frames")
        }
        guard parameters.number("fmin") < fmax, fmax <= nyquist else {
            throw StageError.format(port: "in", message: "the band \(parameters.number("fmin").formatted)–\(fmax.formatted) Hz does not fit below Nyquist (\(nyquist.formatted) Hz)")
        }
        return LogMelSettings(frameLength: frame, hop: hop, fftSize: fftSize, window: WindowFunction(rawValue: parameters.text("window"))!,
                              preemphasis: Float(parameters.number("preemphasis")), filters: parameters.integer("mels"),
                              minimumFrequency: parameters.number("fmin"), maximumFrequency: fmax,
                              scale: MelFilterbank.Scale(rawValue: parameters.text("scale"))!,
                              normalization: MelFilterbank.Normalization(rawValue: parameters.text("filter-norm"))!,
                              power: parameters.text("spectrum") == "power" ? 2 : 1,
                              compression: LogCompression(rawValue: parameters.text("log"))!,
                              floor: Float(parameters.number("floor")))
    }
}
