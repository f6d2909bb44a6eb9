import DSP
import StageKit

/// The work behind `logmel` and `mfcc`: log-mel frames from mono audio, optionally turned
/// into cepstra, then deltas and normalisation; frames leave as rows with their stream time.
final class SpectralFeatureExtractor {
    /// Name of the features in the stream format.
    let name: String
    private let parameters: Parameters
    /// Cepstral coefficients and lifter, for MFCC; nil for log-mel.
    private let cepstral: (coefficients: Int, lifter: Int)?
    private var analyzer: LogMelAnalyzer?
    private var cepstrum: Cepstrum?
    /// Room for the cepstra of one batch of log-mel frames.
    private var cepstra: [Float] = []
    private var frames: FeatureFrames?
    private var framesPerSecond = 100.0
    private var continuity = StreamContinuity()

    init(name: String, parameters: Parameters, cepstral: (coefficients: Int, lifter: Int)?) {
        self.name = name
        self.parameters = parameters
        self.cepstral = cepstral
    }

    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(channels: 1, port: "in")
        let settings = try SpectralFeatureParameters.logMel(parameters, sampleRate: inputs[0].sampleRate)
        if let cepstral, cepstral.coefficients > settings.filters {
            throw StageError.format(port: "in", message: "\(cepstral.coefficients) coefficients need at least as many mel filters (mels: \(settings.filters))")
        }
        analyzer = LogMelAnalyzer(settings: settings, sampleRate: inputs[0].sampleRate)
        cepstrum = cepstral.map { Cepstrum(inputs: settings.filters, coefficients: $0.coefficients, lifter: $0.lifter) }
        cepstra = Array(repeating: 0, count: LogMelAnalyzer.batchLimit * (cepstral?.coefficients ?? 0))
        framesPerSecond = inputs[0].sampleRate / Double(settings.hop)
        let dimension = cepstral?.coefficients ?? settings.filters
        frames = FeatureFrames(dimension: dimension, parameters: parameters, framesPerSecond: framesPerSecond)
        var format = StreamFormat.features(name, dimension: frames!.width, hop: settings.hop, sampleRate: inputs[0].sampleRate)
        format.settings = describe(settings)
        return [format]
    }

    /// Every parameter as its text, with the FFT size and top frequency as resolved for this rate.
    private func describe(_ settings: LogMelSettings) -> [String: String] {
        var described = Dictionary(uniqueKeysWithValues: SpectralFeatureParameters.all.map { parameter in
            (parameter.spec.name, parameter.value(in: parameters).description)
        })
        described["n-fft"] = String(settings.fftSize)
        described["fmax"] = settings.maximumFrequency.formatted
        if let cepstral {
            described["coefficients"] = String(cepstral.coefficients)
            described["lifter"] = String(cepstral.lifter)
        }
        return described
    }

    func process(_ block: Block, output: Output) throws {
        guard let analyzer else { return }
        if let start = continuity.note(block) {
            if start == .afterGap { try finish(output: output) }
            analyzer.restart(at: block.time)
            frames = FeatureFrames(dimension: cepstral?.coefficients ?? analyzer.settings.filters, parameters: parameters,
                                   framesPerSecond: framesPerSecond)
        }
        var complete = FrameRows()
        block.values.withUnsafeBufferPointer { samples in
            analyzer.push(samples) { logMel, time in
                guard let cepstrum else {
                    return frames!.push(rows: logMel, time: time, hop: analyzer.settings.hop, into: &complete)
                }
                let rows = logMel.count / cepstrum.inputs
                cepstra.withUnsafeMutableBufferPointer { cepstra in
                    cepstrum.apply(logMel, into: cepstra)
                    frames!.push(rows: UnsafeBufferPointer(rebasing: cepstra[0..<(rows * cepstrum.coefficients)]), time: time,
                                 hop: analyzer.settings.hop, into: &complete)
                }
            }
        }
        try emit(complete, output: output)
    }

    func finish(output: Output) throws {
        var complete = FrameRows()
        for frame in frames?.finish() ?? [] { complete.append(frame.columns, time: frame.time) }
        try emit(complete, output: output)
    }

    /// Emits the frames now complete as one block (they are consecutive: a gap restarts the stream).
    private func emit(_ complete: FrameRows, output: Output) throws {
        guard let time = complete.time, let width = frames?.width else { return }
        try output.emit(Block(time: time, width: width, values: complete.values))
    }
}
