import Foundation

/// How filterbank energies are compressed.
public enum LogCompression: String, Sendable, CaseIterable {
    /// 10·log10(max(x, floor)).
    case db
    /// ln(max(x, floor)).
    case ln
    /// x as it is.
    case none
}

/// Everything that decides a log-mel spectrogram.
public struct LogMelSettings: Sendable, Equatable {
    public var frameLength: Int
    public var hop: Int
    /// FFT points (at least the frame length); the window sits centred in it.
    public var fftSize: Int
    public var window: WindowFunction
    public var preemphasis: Float
    public var filters: Int
    public var minimumFrequency: Double
    public var maximumFrequency: Double
    public var scale: MelFilterbank.Scale
    public var normalization: MelFilterbank.Normalization
    /// 2 for a power spectrum, 1 for magnitude.
    public var power: Float
    public var compression: LogCompression
    public var floor: Float

    public init(frameLength: Int, hop: Int, fftSize: Int, window: WindowFunction, preemphasis: Float, filters: Int,
                minimumFrequency: Double, maximumFrequency: Double, scale: MelFilterbank.Scale,
                normalization: MelFilterbank.Normalization, power: Float, compression: LogCompression, floor: Float) {
        self.frameLength = frameLength
        self.hop = hop
        self.fftSize = fftSize
        self.window = window
        self.preemphasis = preemphasis
        self.filters = filters
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
        self.scale = scale
        self.normalization = normalization
        self.power = power
        self.compression = compression
        self.floor = floor
    }
}

/// A streaming log-mel spectrogram: pre-emphasis, framing, window, FFT (FFTW, planned once),
/// mel filterbank, log. Frames are the same whatever the block sizes: each frame takes the same
/// arithmetic whether it comes alone (a live stream in small blocks) or among thousands (a file),
/// and the frames of a block are computed and handed over together, without allocating.
public final class LogMelAnalyzer {
    public let settings: LogMelSettings
    /// Frames computed and handed over at once, at most.
    public static let batchLimit = 256
    private var framer: Framer
    /// The window's non-zero span: where it starts in the frame, and its coefficients.
    private let windowOffset: Int
    private let window: [Float]
    private let fft: RealFFT
    private let filterbank: MelFilterbank
    /// The frame's spectrum, and zeros after it as far as the filterbank reads.
    private var spectrum: [Float]
    /// Room for `batchLimit` frames of filter energies, row after row.
    private var energies: [Float]

    /// An analyser of audio at `sampleRate`.
    public init(settings: LogMelSettings, sampleRate: Double) {
        self.settings = settings
        framer = Framer(length: settings.fftSize, hop: settings.hop, preemphasis: settings.preemphasis)
        let coefficients = settings.window.coefficients(length: settings.frameLength, frameLength: settings.fftSize)
        windowOffset = (settings.fftSize - settings.frameLength) / 2
        window = Array(coefficients[windowOffset..<(windowOffset + settings.frameLength)])
        fft = RealFFT(size: settings.fftSize)
        filterbank = MelFilterbank(filters: settings.filters, fftSize: settings.fftSize, sampleRate: sampleRate,
                                   minimumFrequency: settings.minimumFrequency, maximumFrequency: settings.maximumFrequency,
                                   scale: settings.scale, normalization: settings.normalization)
        spectrum = Array(repeating: 0, count: filterbank.spectrumLength)
        energies = Array(repeating: 0, count: Self.batchLimit * settings.filters)
    }

    /// Starts a new stream at `time` (the start, or after a gap).
    public func restart(at time: Int64) {
        framer.restart(at: time)
    }

    /// Adds mono samples; calls `frames` with the log-mel frames now complete, consecutive
    /// ones together (up to `batchLimit`): rows of `settings.filters` values, a hop apart, the
    /// first starting at stream time `time`. The rows are valid only during the call.
    public func push(_ samples: UnsafeBufferPointer<Float>,
                     frames: (_ rows: UnsafeBufferPointer<Float>, _ time: Int64) throws -> Void) rethrows {
        try framer.push(samples) { (span: UnsafeBufferPointer<Float>, count: Int, time: Int64) in
            var done = 0
            while done < count {
                let batch = min(Self.batchLimit, count - done)
                let first = done * settings.hop
                try analyze(UnsafeBufferPointer(rebasing: span[first..<(first + (batch - 1) * settings.hop + settings.fftSize)]),
                            count: batch, time: time + Int64(first), frames: frames)
                done += batch
            }
        }
    }

    /// The log-mel rows of `count` frames a hop apart in `span`, handed to `frames`.
    private func analyze(_ span: UnsafeBufferPointer<Float>, count: Int, time: Int64,
                         frames: (UnsafeBufferPointer<Float>, Int64) throws -> Void) rethrows {
        let filters = settings.filters
        try energies.withUnsafeMutableBufferPointer { energies in
            spectrum.withUnsafeMutableBufferPointer { spectrum in
                window.withUnsafeBufferPointer { window in
                    for frame in 0..<count {
                        let samples = span.baseAddress! + frame * settings.hop + windowOffset
                        // The frame's samples outside the window's span stay 0 in the FFT's input.
                        fft.spectrum(power: settings.power, into: spectrum) { input in
                            let windowed = input.baseAddress! + windowOffset
                            for index in 0..<window.count { windowed[index] = samples[index] * window[index] }
                        }
                        filterbank.apply(UnsafeBufferPointer(spectrum),
                                         into: UnsafeMutableBufferPointer(rebasing: energies[(frame * filters)..<((frame + 1) * filters)]))
                    }
                }
            }
            compress(energies.baseAddress!, count: count * filters)
            try frames(UnsafeBufferPointer(rebasing: energies[0..<(count * filters)]), time)
        }
    }

    /// Applies the log compression to `count` energies in place.
    private func compress(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard settings.compression != .none else { return }
        let floor = settings.floor
        for index in 0..<count { values[index] = max(values[index], floor) }
        VectorLog.naturalLog(values, count: count)
        if settings.compression == .db {
            let decibelsPerNeper = Float(10 / M_LN10)
            for index in 0..<count { values[index] *= decibelsPerNeper }
        }
    }
}
