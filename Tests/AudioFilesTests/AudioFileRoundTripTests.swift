import AudioFiles
import Foundation
import Testing
import TestSupport

/// Writing and reading real files through libsndfile; sox is the independent reader and writer.
@Suite struct AudioFileRoundTripTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder("audiofiles") }

    /// A stereo test signal: a different sine on each channel.
    func stereoSignal(rate: Double, seconds: Double) -> [Float] {
        let left = sine(frequency: 440, rate: rate, seconds: seconds, amplitude: 0.5)
        let right = sine(frequency: 1000, rate: rate, seconds: seconds, amplitude: 0.25)
        return zip(left, right).flatMap { [$0, $1] }
    }

    /// The quantisation step of each encoding bounds the round-trip error.
    static let formats: [(String, SampleEncoding)] = [("wav", .float), ("wav", .pcm24), ("flac", .pcm16),
                                                      ("flac", .pcm24), ("aiff", .pcm16)]

    @Test(arguments: formats)
    func roundTripKeepsSamples(container: String, encoding: SampleEncoding) throws {
        let step: Double = switch encoding {
        case .pcm16: 1.0 / 32768
        case .pcm24: 1.0 / 8_388_608
        default: 0
        }
        let path = folder.file("round-trip.\(container)")
        let signal = stereoSignal(rate: 44100, seconds: 0.5)
        let writer = try AudioFileWriter(path: path, sampleRate: 44100, channels: 2, encoding: encoding)
        try writer.write(signal)
        try writer.close()

        let reader = try AudioFileReader(path: path)
        #expect(reader.sampleRate == 44100)
        #expect(reader.channels == 2)
        #expect(reader.frameCount == Int64(signal.count / 2))
        let comparison = ValueComparison(try reader.readAll(), signal)
        #expect(comparison.isWithin(step), "\(comparison), more than one quantisation step \(step)")
    }

    /// sox reads what we write: its `stat` RMS of each channel matches the signal's.
    @Test func soxReadsOurFlac() throws {
        let path = folder.file("ours.flac")
        let writer = try AudioFileWriter(path: path, sampleRate: 48000, channels: 2, encoding: .pcm24)
        try writer.write(stereoSignal(rate: 48000, seconds: 1))
        try writer.close()
        for (channel, expected) in [(1, 0.5 / 2.0.squareRoot()), (2, 0.25 / 2.0.squareRoot())] {
            let result = try runCommand("sox", [path, "-n", "remix", "\(channel)", "stat"])
            let line = result.stderr.split(separator: "\n").first { $0.hasPrefix("RMS     amplitude") }
            let value = Double(line?.split(separator: " ").last ?? "") ?? -1
            #expect(abs(value - expected) < 1e-4, "sox measured RMS \(value) on channel \(channel), expected \(expected)")
        }
    }

    /// We read what sox writes, in each container sox and libsndfile share.
    @Test(arguments: ["wav", "flac", "aiff", "ogg"])
    func readsWhatSoxWrites(container: String) throws {
        let path = folder.file("sox.\(container)")
        try #require(runCommand("sox", ["-n", "-r", "22050", "-c", "1", path, "synth", "0.5", "sine", "1000", "vol", "0.5"]).status == 0)
        let reader = try AudioFileReader(path: path)
        #expect(reader.sampleRate == 22050)
        #expect(reader.channels == 1)
        let samples = try reader.readAll()
        #expect(abs(samples.count - 11025) <= (container == "ogg" ? 2048 : 0))
        let level = amplitude(of: 1000, in: samples, rate: 22050)
        #expect(abs(level - 0.5) < (container == "ogg" ? 0.02 : 0.002), "1 kHz amplitude \(level)")
    }

    @Test func corruptFileNamesPathAndReason() throws {
        let path = folder.file("corrupt.wav")
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEjunkjunkjunk".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: AudioFileError.self) { try AudioFileReader(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix(path + ": ") == true)
        #expect(error?.reason.isEmpty == false)
    }

    @Test func missingFileIsReported() throws {
        let path = folder.file("absent.flac")
        let error = #expect(throws: AudioFileError.self) { try AudioFileReader(path: path) }
        #expect(error?.description.contains(path) == true)
    }

    @Test func unknownExtensionIsRefusedBeforeWriting() throws {
        let path = folder.file("out.mp4")
        let error = #expect(throws: AudioFileError.self) { try AudioFileWriter(path: path, sampleRate: 16000, channels: 1) }
        #expect(error?.reason.contains("unknown audio file extension") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

/// 16-bit PCM reads as integer / 32768 exactly, every value from −32768 to 32767, in blocks of
/// any size: the WAV is written byte by byte here, independently of libsndfile.
@Suite struct PCM16ReadingTests {
    @Test(arguments: [1, 1000, 65536, 100_000])
    func everyValueReadsAsItsExactFraction(block: Int) throws {
        let folder = try TemporaryFolder("pcm16")
        let path = folder.file("all-values.wav")
        let values = (Int32(Int16.min)...Int32(Int16.max)).map { Int16($0) }
        var file = Data("RIFF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { file.append(contentsOf: $0) } }
        append(UInt32(36 + values.count * 2))
        file.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16)); append(UInt16(1)); append(UInt16(1)); append(UInt32(16000)); append(UInt32(32000))
        append(UInt16(2)); append(UInt16(16))
        file.append(contentsOf: Array("data".utf8))
        append(UInt32(values.count * 2))
        for value in values { append(value) }
        try file.write(to: URL(fileURLWithPath: path))

        let reader = try AudioFileReader(path: path)
        var samples: [Float] = []
        while case let chunk = try reader.read(frames: block), !chunk.isEmpty { samples += chunk }
        #expect(samples.count == values.count)
        let firstWrong = samples.indices.first { samples[$0] != Float(values[$0]) / 32768 }
        #expect(firstWrong == nil, "sample \(firstWrong ?? -1)")
    }
}
