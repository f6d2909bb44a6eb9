import AudioFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// Sample rates and lengths a stage cannot frame are refused with the port and the values,
/// never trapped on; the file source refuses headers outside the rates it documents.
@Suite struct FramingLimitsTests {
    /// The `StageError.format` that preparing `type` on mono audio at `rate` throws.
    func refusal<S: Stage>(_ type: S.Type, rate: Double, parameters: [String: ParameterValue] = [:]) -> (port: String, message: String)? {
        do {
            _ = try StageHarness(type, parameters: parameters, inputs: [.audio(sampleRate: rate, channels: 1)])
            return nil
        } catch let StageError.format(port, message) {
            return (port, message)
        } catch {
            Issue.record("not a format refusal: \(error)")
            return nil
        }
    }

    /// At 30 Hz the default 10 ms hop is 0.3 samples: once a trap in the sliding windows.
    @Test(arguments: ["logmel", "mfcc"])
    func spectralFeaturesRefuseAHopOfNoSample(stage: String) throws {
        let found = stage == "logmel" ? refusal(LogMel.self, rate: 30) : refusal(MFCC.self, rate: 30, parameters: ["mels": .integer(13)])
        let problem = try #require(found)
        #expect(problem.port == "in")
        #expect(problem.message.contains("hop 0.01 s at 30 Hz is 0 samples; it needs at least 1"), "\(problem.message)")
    }

    @Test func logMelRefusesAFrameOfNoSample() throws {
        let problem = try #require(refusal(LogMel.self, rate: 400, parameters: ["frame": .number(0.001), "hop": .number(0.01)]))
        #expect(problem.port == "in")
        #expect(problem.message.contains("frame 0.001 s at 400 Hz is 0 samples"), "\(problem.message)")
    }

    @Test func voiceActivityRefusesAHopOfNoSample() throws {
        let problem = try #require(refusal(VoiceActivity.self, rate: 30))
        #expect(problem.port == "in")
        #expect(problem.message.contains("hop 0.01 s at 30 Hz is 0 samples"), "\(problem.message)")
    }

    /// The lowest rates that frame at all still run: one-sample hops, frames and results.
    @Test func lowRatesThatFrameStillRun() throws {
        let signal = sine(frequency: 10, rate: 100, seconds: 2)
        let logMel = try StageHarness(LogMel.self, parameters: ["mels": .integer(4)], inputs: [.audio(sampleRate: 100, channels: 1)])
        let frames = try logMel.push(Block(time: 0, width: 1, values: signal)) + logMel.finish()
        let frameCount = frames.map(\.rows).reduce(0, +)
        #expect(frameCount == 200 - 4 + 1)  // 2.5 → 3-sample frames in 4 FFT points, every sample
        #expect(frames.allSatisfy { $0.values.allSatisfy { $0.isFinite } })
        let vad = try StageHarness(VoiceActivity.self, inputs: [.audio(sampleRate: 100, channels: 1)])
        let activity = try vad.push(Block(time: 0, width: 1, values: signal)).filter { $0.width == 1 }
        let activityCount = activity.map(\.rows).reduce(0, +)
        #expect(activityCount == 200 - 3 + 1)  // 3-sample frames, every sample
    }

    /// A 2 GHz rate made the filterbank take gigabytes; now the FFT size is bounded and named.
    @Test func logMelRefusesMoreFFTPointsThanItTakes() throws {
        let problem = try #require(refusal(LogMel.self, rate: 2e9))
        #expect(problem.port == "in")
        #expect(problem.message.contains("a 50000000-sample frame (0.025 s at 2000000000 Hz) needs 67108864 FFT points, more than the 65536"),
                "\(problem.message)")
        // The largest frame that fits still works.
        #expect(refusal(LogMel.self, rate: 768_000, parameters: ["frame": .number(0.085)]) == nil)
    }

    /// A WAV written at 16 kHz whose header then claims `rate`.
    func wav(claiming rate: UInt32, in folder: TemporaryFolder) throws -> String {
        let path = folder.file("claims-\(rate).wav")
        let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1, encoding: .pcm16)
        try writer.write(sine(frequency: 440, rate: 16000, seconds: 0.5))
        try writer.close()
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? file.close() }
        try file.seek(toOffset: 24)  // fmt chunk: sample rate, then bytes per second
        try file.write(contentsOf: withUnsafeBytes(of: rate.littleEndian) { Data($0) })
        try file.write(contentsOf: withUnsafeBytes(of: (rate &* 2).littleEndian) { Data($0) })
        return path
    }

    @Test(arguments: [UInt32(2_000_000_000), 800, 999])
    func fileSourceRefusesRatesOutsideItsRange(rate: UInt32) throws {
        let folder = try TemporaryFolder("rates")
        let path = try wav(claiming: rate, in: folder)
        #expect(try AudioFileReader(path: path).sampleRate == Double(rate), "libsndfile does not read the patched header")
        let error = #expect(throws: StageError.self) {
            try StageHarness(FileSource.self, parameters: ["path": .text(path)])
        }
        #expect(error?.description == "\(path): its header says \(rate) Hz; file-source reads 1000 to 768000 Hz")
    }

    @Test(arguments: [UInt32(1000), 768_000])
    func fileSourceReadsTheEndsOfItsRange(rate: UInt32) throws {
        let folder = try TemporaryFolder("rates")
        let harness = try StageHarness(FileSource.self, parameters: ["path": .text(try wav(claiming: rate, in: folder))])
        #expect(harness.outputFormats == [.audio(sampleRate: Double(rate), channels: 1)])
        #expect(try harness.drain().map(\.block.rows).reduce(0, +) == 8000)
    }
}
