import CSndFile
import Foundation

/// How samples are stored in a written file.
public enum SampleEncoding: String, Sendable, CaseIterable {
    /// The container's natural choice: float for WAV, AIFF and CAF; 24-bit for FLAC; Vorbis for Ogg.
    case auto
    case pcm16
    case pcm24
    case pcm32
    case float
}

/// Writes interleaved Float32 frames to an audio file whose container follows its extension
/// (.wav, .flac, .ogg, .aiff, .caf, .au, .w64, .rf64).
public final class AudioFileWriter {
    /// The file being written.
    public let path: String
    /// Interleaved channels per frame.
    public let channels: Int
    private var handle: OpaquePointer?

    /// Creates (or replaces) `path`.
    /// - Parameter container: the extension that decides the container; `path`'s own by default.
    /// - Throws: `AudioFileError` for an unknown extension, an encoding the container cannot
    ///   hold, or a file that cannot be created.
    public init(path: String, sampleRate: Double, channels: Int, encoding: SampleEncoding = .auto,
                container: String? = nil) throws {
        let ext = (container ?? String(path.split(separator: ".").last ?? "")).lowercased()
        guard let major = Self.containers[ext] else {
            throw AudioFileError(path: path, reason: "unknown audio file extension '.\(ext)' (use one of \(Self.containers.keys.sorted().joined(separator: ", ")))")
        }
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate.rounded())
        info.channels = Int32(channels)
        info.format = major | Self.subtype(encoding, container: major)
        guard sf_format_check(&info) != 0 else {
            throw AudioFileError(path: path, reason: "a .\(ext) file cannot hold \(encoding.rawValue) samples")
        }
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw Self.failure(path, handle: nil, doing: "create")
        }
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.path = path
        self.channels = channels
        self.handle = handle
    }

    deinit { try? close() }

    /// Appends interleaved frames.
    public func write(_ samples: UnsafeBufferPointer<Float>) throws {
        guard let handle, let base = samples.baseAddress else { return }
        let frames = samples.count / channels
        let written = sf_writef_float(handle, base, sf_count_t(frames))
        if written != frames {
            throw Self.failure(path, handle: handle, doing: "write")
        }
    }

    /// Appends interleaved frames.
    public func write(_ samples: [Float]) throws {
        try samples.withUnsafeBufferPointer { try write($0) }
    }

    /// Finishes the file's header and closes it.
    public func close() throws {
        guard let handle else { return }
        self.handle = nil
        let status = sf_close(handle)
        if status == Int32(SF_ERR_SYSTEM) {
            throw AudioFileError(path: path, reason: "cannot write", code: errno)
        } else if status != 0 {
            throw AudioFileError(path: path, reason: String(cString: sf_error_number(status)))
        }
    }

    /// libsndfile's error for `handle` (or the last open), with the system's error number when
    /// the system refused (`doing` says what was tried).
    private static func failure(_ path: String, handle: OpaquePointer?, doing operation: String) -> AudioFileError {
        let code = errno
        guard sf_error(handle) == Int32(SF_ERR_SYSTEM) else {
            return AudioFileError(path: path, reason: String(cString: sf_strerror(handle)))
        }
        return AudioFileError(path: path, reason: "cannot \(operation)", code: code)
    }

    private static let containers: [String: Int32] = [
        "wav": Int32(SF_FORMAT_WAV), "flac": Int32(SF_FORMAT_FLAC), "ogg": Int32(SF_FORMAT_OGG),
        "oga": Int32(SF_FORMAT_OGG), "aiff": Int32(SF_FORMAT_AIFF), "aif": Int32(SF_FORMAT_AIFF),
        "caf": Int32(SF_FORMAT_CAF), "au": Int32(SF_FORMAT_AU), "w64": Int32(SF_FORMAT_W64),
        "rf64": Int32(SF_FORMAT_RF64),
    ]

    private static func subtype(_ encoding: SampleEncoding, container: Int32) -> Int32 {
        switch encoding {
        case .pcm16: return Int32(SF_FORMAT_PCM_16)
        case .pcm24: return Int32(SF_FORMAT_PCM_24)
        case .pcm32: return Int32(SF_FORMAT_PCM_32)
        case .float: return Int32(SF_FORMAT_FLOAT)
        case .auto:
            switch container {
            case Int32(SF_FORMAT_FLAC): return Int32(SF_FORMAT_PCM_24)
            case Int32(SF_FORMAT_OGG): return Int32(SF_FORMAT_VORBIS)
            default: return Int32(SF_FORMAT_FLOAT)
            }
        }
    }
}

/// File extensions libsndfile reads, for finding inputs in folders.
public let audioFileExtensions: Set<String> = [
    "wav", "flac", "ogg", "oga", "opus", "aiff", "aif", "aifc", "caf", "au", "snd", "w64", "rf64", "mp3",
]
