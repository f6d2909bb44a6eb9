import CSndFile
import Foundation

/// Reads an audio file (WAV, FLAC, Ogg Vorbis, AIFF and the rest of libsndfile's formats)
/// as interleaved Float32 frames.
public final class AudioFileReader {
    /// The file being read.
    public let path: String
    /// Frames per second.
    public let sampleRate: Double
    /// Interleaved channels per frame.
    public let channels: Int
    /// Frames in the file, as its header declares (`Int64.max` when the header does not say).
    public let frameCount: Int64
    private var handle: OpaquePointer?
    private var framesRead: Int64 = 0
    /// 16-bit PCM is read as integers and scaled here, by 1/32768 as libsndfile would scale it,
    /// in a loop the compiler vectorises (libsndfile's own conversion is scalar).
    private let isPCM16: Bool
    private var integers: [Int16] = []

    /// Opens `path` for reading. Only regular files are opened: a FIFO or device could block.
    /// A truncated file, whose header declares more audio than it holds, is refused here when
    /// the header says how much (WAV, AIFF), else by `read` on reaching the end early.
    /// - Throws: `AudioFileError` naming the file and libsndfile's reason.
    public init(path: String) throws {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw AudioFileError(path: path, reason: "not a regular file (a folder, FIFO, socket or device); give an audio file")
        }
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        guard info.samplerate > 0, info.channels > 0 else {
            sf_close(handle)
            throw AudioFileError(path: path, reason: "header declares \(info.samplerate) Hz, \(info.channels) channels")
        }
        self.path = path
        self.handle = handle
        self.sampleRate = Double(info.samplerate)
        self.channels = Int(info.channels)
        isPCM16 = info.format & Int32(SF_FORMAT_SUBMASK) == Int32(SF_FORMAT_PCM_16)
        if let declared = declaredFrames(of: handle, info), declared > info.frames {
            frameCount = declared
            throw truncated(holding: info.frames, remedy: "re-export it, or rewrite its header to what it holds (`sox --ignore-length IN OUT`)")
        }
        self.frameCount = Int64(info.frames)
    }

    deinit { close() }

    /// Reads up to `frames` frames into `buffer` (room for `frames × channels` samples).
    /// - Returns: the frames read; 0 at the end of the file.
    /// - Throws: `AudioFileError` if libsndfile reports a decoding error, or if the file ends
    ///   before the frames its header declares (or, when it declares none, before any frame).
    public func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) throws -> Int {
        guard let handle else { return 0 }
        let read = isPCM16 ? readPCM16(handle, into: buffer, frames: frames) : Int(sf_readf_float(handle, buffer, sf_count_t(frames)))
        let status = sf_error(handle)
        if status != 0 {
            throw AudioFileError(path: path, reason: String(cString: sf_error_number(status)))
        }
        framesRead += Int64(read)
        if read == 0 && frames > 0 {
            if frameCount == Int64.max && framesRead == 0 {
                throw AudioFileError(path: path, reason: "no audio could be decoded, and the header does not say how long it is: "
                                     + "the file may be truncated or damaged; re-export it")
            }
            if frameCount != Int64.max && framesRead < frameCount { throw truncated(holding: framesRead, remedy: "re-export it") }
        }
        return read
    }

    /// Reads up to `frames` frames of 16-bit PCM into `buffer` as floats in [−1, 1).
    private func readPCM16(_ handle: OpaquePointer, into buffer: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        if integers.count < frames * channels { integers = Array(repeating: 0, count: frames * channels) }
        return integers.withUnsafeMutableBufferPointer { integers in
            let read = Int(sf_readf_short(handle, integers.baseAddress, sf_count_t(frames)))
            for index in 0..<max(0, read * channels) { buffer[index] = Float(integers[index]) * (1 / 32768) }
            return read
        }
    }

    /// The error for a file that holds `frames` of the frames its header declares.
    private func truncated(holding frames: Int64, remedy: String) -> AudioFileError {
        func length(_ frames: Int64) -> String {
            "\(String(format: "%.3f", Double(frames) / sampleRate)) s (\(frames) frames)"
        }
        return AudioFileError(path: path, reason: "truncated: its header declares \(length(frameCount)) but the file holds "
                              + "\(length(frames)), \(length(frameCount - frames)) short; \(remedy)")
    }

    /// Reads up to `frames` frames as a new interleaved array; empty at the end of the file.
    public func read(frames: Int) throws -> [Float] {
        var samples = [Float](repeating: 0, count: frames * channels)
        let read = try samples.withUnsafeMutableBufferPointer { try self.read(into: $0.baseAddress!, frames: frames) }
        samples.removeLast((frames - read) * channels)
        return samples
    }

    /// Reads every remaining frame.
    public func readAll() throws -> [Float] {
        var all: [Float] = []
        all.reserveCapacity(Int(max(frameCount, 0)) * channels)
        while true {
            let chunk = try read(frames: 65536)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    /// Closes the file; further reads return nothing.
    public func close() {
        if let handle { sf_close(handle) }
        handle = nil
    }
}
