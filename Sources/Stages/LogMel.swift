import DSP
import StageKit

/// Log-mel spectrogram frames from mono audio (FFTW), optionally with deltas and normalisation.
public final class LogMel: Stage {
    public static let info = StageInfo(
        name: "logmel",
        summary: "Log-mel spectrogram (FFTW): pre-emphasis, window, mel filterbank, log; optional deltas and normalisation.",
        inputs: [PortSpec("in", .audio, doc: "mono audio at any rate")],
        outputs: [PortSpec("out", .features, doc: "one row of mels × (1 + deltas) per hop")],
        parameters: SpectralFeatureParameters.all)

    private let extractor: SpectralFeatureExtractor

    public init(parameters: Parameters, context: StageContext) throws {
        extractor = SpectralFeatureExtractor(name: "logmel", parameters: parameters, cepstral: nil)
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { try extractor.prepare(inputs: inputs) }
    public func process(_ block: Block, port: Int, output: Output) throws { try extractor.process(block, output: output) }
    public func finish(output: Output) throws { try extractor.finish(output: output) }
}

/// Mel-frequency cepstral coefficients: log-mel energies (in dB), DCT-II, lifter.
public final class MFCC: Stage {
    public static let coefficients = Parameter<Int>("coefficients", default: 13, range: 1...128, doc: "cepstral coefficients kept")
    public static let lifter = Parameter<Int>("lifter", default: 22, range: 0...1000, doc: "sinusoidal lifter L; 0 for none")

    public static let info = StageInfo(
        name: "mfcc",
        summary: "MFCC: log-mel (dB) through an orthonormal DCT-II, liftered; optional deltas and normalisation.",
        inputs: [PortSpec("in", .audio, doc: "mono audio at any rate")],
        outputs: [PortSpec("out", .features, doc: "one row of coefficients × (1 + deltas) per hop")],
        parameters: [coefficients, lifter] + SpectralFeatureParameters.all)

    private let extractor: SpectralFeatureExtractor

    public init(parameters: Parameters, context: StageContext) throws {
        extractor = SpectralFeatureExtractor(name: "mfcc", parameters: parameters,
                                             cepstral: (parameters[Self.coefficients], parameters[Self.lifter]))
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] { try extractor.prepare(inputs: inputs) }
    public func process(_ block: Block, port: Int, output: Output) throws { try extractor.process(block, output: output) }
    public func finish(output: Output) throws { try extractor.finish(output: output) }
}
