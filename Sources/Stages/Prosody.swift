import DSP
import StageKit

/// Prosodic and voice quality descriptors (the core of eGeMAPS): per 10 ms frame and as
/// functionals over sliding windows.
public final class Prosody: Stage {
    private static let defaults = PitchSettings()

    public static let fmin = Parameter<Double>("fmin", default: defaults.minimumFrequency, range: 30...1000, unit: "Hz",
                                               doc: "lowest F0 searched")
    public static let fmax = Parameter<Double>("fmax", default: defaults.maximumFrequency, range: 50...2000, unit: "Hz",
                                               doc: "highest F0 searched")
    public static let voicing = Parameter<Double>("voicing", default: defaults.voicingThreshold, range: 0.01...1,
                                                  doc: "largest aperiodicity (YIN d′ at the period) of a voiced frame")
    public static let silence = Parameter<Double>("silence", default: defaults.silenceDecibels, range: -120...0, unit: "dBFS",
                                                  doc: "frames quieter than this are unvoiced")
    public static let window = Parameter<Double>("window", default: 1, range: 0.01...3600, unit: "s", doc: "functionals window length")
    public static let hop = Parameter<Double>("hop", default: 0.25, range: 0.01...3600, unit: "s",
                                              doc: "time between functionals window starts")

    public static let info = StageInfo(
        name: "prosody",
        summary: "Tracks F0 (YIN) and measures loudness, HNR, jitter, shimmer, spectral slopes and alpha ratio per frame, with functionals over windows.",
        inputs: [PortSpec("in", .audio, doc: "mono audio, 8 to 48 kHz")],
        outputs: [
            PortSpec("frames", .features, doc: "one row per 10 ms frame: \(ProsodyFrame.names.joined(separator: ", ")); f0_hz is 0 when unvoiced"),
            PortSpec("functionals", .features, doc: "one row per window: statistics of the frames (F0 in semitones above 27.5 Hz)"),
        ],
        parameters: [fmin, fmax, voicing, silence, window, hop])

    /// Sample rates the stage takes.
    static let sampleRates: ClosedRange<Double> = 8000...48000
    private let settings: PitchSettings
    private let windowSeconds: Double
    private let hopSeconds: Double
    private var analyzer: ProsodyAnalyzer?
    private var windows: FunctionalWindows?

    public init(parameters: Parameters, context: StageContext) throws {
        var settings = PitchSettings(minimumFrequency: parameters[Self.fmin], maximumFrequency: parameters[Self.fmax])
        guard settings.minimumFrequency < settings.maximumFrequency else {
            throw StageError.failed("fmin (\(settings.minimumFrequency.formatted) Hz) must be below fmax (\(settings.maximumFrequency.formatted) Hz)")
        }
        settings.voicingThreshold = parameters[Self.voicing]
        settings.silenceDecibels = parameters[Self.silence]
        self.settings = settings
        windowSeconds = parameters[Self.window]
        hopSeconds = parameters[Self.hop]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
        guard input.kind == .audio else { throw StageError.format(port: "in", message: "needs audio, got \(input)") }
        try input.require(channels: 1, port: "in")
        guard Self.sampleRates.contains(input.sampleRate) else {
            throw StageError.format(port: "in", message: "needs audio at 8000 to 48000 Hz but receives \(input.sampleRate.formatted) Hz; put `resample: {rate: 16000}` before it")
        }
        let analyzer = ProsodyAnalyzer(settings: settings, sampleRate: input.sampleRate)
        let frameSeconds = Double(analyzer.hop) / input.sampleRate
        let windows = FunctionalWindows(length: max(1, Int((windowSeconds / frameSeconds).rounded())),
                                        hop: max(1, Int((hopSeconds / frameSeconds).rounded())),
                                        frameHop: analyzer.hop, sampleRate: input.sampleRate)
        self.analyzer = analyzer
        self.windows = windows
        return [
            StreamFormat(kind: .features, sampleRate: input.sampleRate, width: ProsodyFrame.names.count, hop: analyzer.hop,
                         labels: ProsodyFrame.names),
            StreamFormat(kind: .features, sampleRate: input.sampleRate, width: ProsodyFunctionals.names.count,
                         hop: windows.hop * analyzer.hop, labels: ProsodyFunctionals.names),
        ]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let analyzer, let windows else { return }
        let frames = analyzer.process(block.values, at: block.time)
        guard let first = frames.first else { return }
        try output.emit(Block(time: first.time, width: ProsodyFrame.names.count, values: frames.flatMap { $0.values.map(Float.init) }),
                        port: 0)
        try emit(frames.flatMap(windows.add), output: output)
    }

    public func finish(output: Output) throws {
        guard let windows else { return }
        try emit(windows.flush(), output: output)
    }

    /// Sends functionals rows out of port 1, one block per run of rows a window hop apart
    /// (a flushed tail or the rows after a gap start a new block).
    private func emit(_ rows: [FunctionalWindows.Row], output: Output) throws {
        guard let analyzer, let windows else { return }
        let spacing = Int64(windows.hop * analyzer.hop)
        var run: [FunctionalWindows.Row] = []
        func send() throws {
            guard let first = run.first else { return }
            try output.emit(Block(time: first.time, width: ProsodyFunctionals.names.count,
                                  values: run.flatMap { $0.values.map(Float.init) }), port: 1)
            run = []
        }
        for row in rows {
            if let last = run.last, row.time != last.time + spacing { try send() }
            run.append(row)
        }
        try send()
    }
}
