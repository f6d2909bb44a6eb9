/// The kind of data that travels through a port.
public enum StreamKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Blocks of Float32 samples, interleaved by channel.
    case audio
    /// Frames of spectral or prosodic features (log-mel, MFCC, descriptors).
    case features
    /// Encoder outputs, one row per window or frame.
    case embedding
    /// Class probabilities, one row per decision window.
    case posterior
    /// Timestamped decisions, measurements and state changes.
    case event

    /// The kind's name in port declarations and messages.
    public var description: String { rawValue }
}

/// The agreed format of one stream, fixed before the first block flows.
///
/// Every stream is a sequence of rows of `width` values. Row `i` of a block that starts
/// at stream time `t` stands at time `t + i * hop`, counted in samples of `sampleRate`
/// (the rate of the audio the stream derives from), so latency and alignment can be
/// traced end to end.
public struct StreamFormat: Hashable, Sendable, CustomStringConvertible {
    /// What the rows are.
    public var kind: StreamKind
    /// The clock of the stream's time stamps, in samples per second.
    public var sampleRate: Double
    /// Values per row: channels for audio, dimension for features and embeddings,
    /// number of labels for posteriors, 0 for events.
    public var width: Int
    /// Clock samples between consecutive rows (1 for audio).
    public var hop: Int
    /// Names of the columns: feature kind, class labels or event fields; empty for audio.
    public var labels: [String]
    /// How the stream was made, as name → value text: e.g. `logmel`'s settings (`mels` → `64`),
    /// which `window` passes on with its own, so that a model downstream can check it is fed
    /// the features it was trained on. Empty when unknown (plugins do not carry it).
    public var settings: [String: String]

    /// Creates a format; prefer the named constructors.
    public init(kind: StreamKind, sampleRate: Double, width: Int, hop: Int, labels: [String] = [], settings: [String: String] = [:]) {
        self.kind = kind
        self.sampleRate = sampleRate
        self.width = width
        self.hop = hop
        self.labels = labels
        self.settings = settings
    }

    /// Audio at `sampleRate` with `channels` interleaved channels.
    public static func audio(sampleRate: Double, channels: Int) -> StreamFormat {
        StreamFormat(kind: .audio, sampleRate: sampleRate, width: channels, hop: 1)
    }

    /// Feature frames of `dimension` values every `hop` samples of audio at `sampleRate`.
    public static func features(_ name: String, dimension: Int, hop: Int, sampleRate: Double) -> StreamFormat {
        StreamFormat(kind: .features, sampleRate: sampleRate, width: dimension, hop: hop, labels: [name])
    }

    /// Embeddings of `dimension` values every `hop` samples of audio at `sampleRate`.
    public static func embedding(dimension: Int, hop: Int, sampleRate: Double) -> StreamFormat {
        StreamFormat(kind: .embedding, sampleRate: sampleRate, width: dimension, hop: hop)
    }

    /// Probabilities over `labels`, one row every `hop` samples of audio at `sampleRate`.
    public static func posterior(labels: [String], hop: Int, sampleRate: Double) -> StreamFormat {
        StreamFormat(kind: .posterior, sampleRate: sampleRate, width: labels.count, hop: hop, labels: labels)
    }

    /// Events whose time stamps count samples at `sampleRate`; `fields` names the values
    /// each event carries, when they are known in advance.
    public static func event(sampleRate: Double, fields: [String] = []) -> StreamFormat {
        StreamFormat(kind: .event, sampleRate: sampleRate, width: 0, hop: 1, labels: fields)
    }

    /// Audio channels (the row width of an audio stream).
    public var channels: Int { width }

    /// The format as messages show it, e.g. `audio(16000 Hz, 1 ch)`.
    public var description: String {
        let rate = sampleRate.formatted
        switch kind {
        case .audio: return "audio(\(rate) Hz, \(width) ch)"
        case .features: return "features(\(labels.first ?? "?"), dim \(width), hop \(hop) @ \(rate) Hz)"
        case .embedding: return "embedding(dim \(width), hop \(hop) @ \(rate) Hz)"
        case .posterior: return "posterior(\(labels.joined(separator: ",")))"
        case .event: return "event(@ \(rate) Hz)"
        }
    }
}

extension Double {
    /// The number without a trailing ".0" when it is whole (16000 rather than 16000.0).
    public var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
