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
/// mel filterbank, log. Frames are the same whatever the block sizes.
public final class LogMelAnalyzer {
    public let settings: LogMelSettings
    private var framer: Framer
    private let window: [Float]
    private let fft: RealFFT
    private let filterbank: MelFilterbank
    private var windowed: [Float]
    private var spectrum: [Float]

    /// An analyser of audio at `sampleRate`.
    public init(settings: LogMelSettings, sampleRate: Double) {
        self.settings = settings
        framer = Framer(length: settings.fftSize, hop: settings.hop, preemphasis: settings.preemphasis)
        window = settings.window.coefficients(length: settings.frameLength, frameLength: settings.fftSize)
        fft = RealFFT(size: settings.fftSize)
        filterbank = MelFilterbank(filters: settings.filters, fftSize: settings.fftSize, sampleRate: sampleRate,
                                   minimumFrequency: settings.minimumFrequency, maximumFrequency: settings.maximumFrequency,
                                   scale: settings.scale, normalization: settings.normalization)
        windowed = Array(repeating: 0, count: settings.fftSize)
        spectrum = Array(repeating: 0, count: settings.fftSize / 2 + 1)
    }

    /// Starts a new stream at `time` (the start, or after a gap).
    public func restart(at time: Int64) {
        framer.restart(at: time)
    }

    /// Adds mono samples; calls `frame` with each log-mel frame and the stream time its
    /// frame starts at.
    public func push(_ samples: UnsafeBufferPointer<Float>, frame: ([Float], Int64) throws -> Void) rethrows {
        try framer.push(samples) { samples, time in
            try frame(analyze(samples), time)
        }
    }

    private func analyze(_ samples: UnsafeBufferPointer<Float>) -> [Float] {
        windowed.withUnsafeMutableBufferPointer { windowed in
            window.withUnsafeBufferPointer { window in
                for index in 0..<windowed.count { windowed[index] = samples[index] * window[index] }
            }
        }
        windowed.withUnsafeBufferPointer { frame in
            spectrum.withUnsafeMutableBufferPointer { fft.spectrum(of: frame, power: settings.power, into: $0) }
        }
        var energies = [Float](repeating: 0, count: settings.filters)
        spectrum.withUnsafeBufferPointer { spectrum in
            energies.withUnsafeMutableBufferPointer { energies in
                filterbank.apply(spectrum, into: energies)
                let floor = settings.floor
                switch settings.compression {
                case .db: for index in energies.indices { energies[index] = 10 * log10(max(energies[index], floor)) }
                case .ln: for index in energies.indices { energies[index] = log(max(energies[index], floor)) }
                case .none: break
                }
            }
        }
        return energies
    }
}
