import ArrayFiles
import AudioFiles
import Foundation
import Neural
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// Long inputs: the encoder's whole-stream mode runs in overlapping segments, in memory that
/// does not grow with the length, and its frames are those of encoding each segment alone.
@Suite struct LongAudioTests {
    static let model = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"

    /// `seconds` of repeatable pink noise at 16 kHz (sox), in `folder`.
    func noise(_ seconds: Int, in folder: TemporaryFolder) throws -> String {
        let path = folder.file("noise-\(seconds)s.wav")
        let sox = try runCommand("sox", ["-R", "-n", "-r", "16000", "-c", "1", "-e", "float", "-b", "32", path,
                                         "synth", String(seconds), "pinknoise", "vol", "0.3"])
        try #require(sox.status == 0, "\(sox.stderr)")
        return path
    }

    /// `sergraph embed` on 3 minutes peaks within 40 MB of what it takes on 30 s, and under
    /// 200 MB (before: one pass over the whole file, whose attention alone is 4 heads × 9000²
    /// frames × 4 bytes = 1.3 GB at 3 minutes, 14 GB at 10).
    @Test func embedRunsInBoundedMemory() throws {
        let folder = try TemporaryFolder("long-embed")
        var peaks: [Int: Int] = [:]
        for seconds in [30, 180] {
            let input = try noise(seconds, in: folder)
            let result = try runCommand("/usr/bin/time", ["-v", sergraphExecutable, "embed", Self.model, input, "-o", folder.path, "--layers", "3"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("done (\(seconds >= 60 ? "\(seconds / 60):00" : "\(seconds).0 s") of audio)"), "\(result.stderr)")
            let line = try #require(result.stderr.split(separator: "\n").first { $0.contains("Maximum resident set size (kbytes)") })
            peaks[seconds] = try #require(Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)))
            let frames = try NpyArray(path: folder.file("noise-\(seconds)s.layer-3.npy"))
            let config = try Wav2Vec2Config(path: Self.model + "/config.json")
            #expect(frames.rows == config.frames(forSamples: seconds * 16000) && frames.columns == 48)
        }
        let (short, long) = (try #require(peaks[30]), try #require(peaks[180]))
        print("embed peak memory: 30 s \(short / 1024) MB, 3 min \(long / 1024) MB")
        #expect(long < 200 * 1024)
        #expect(long - short < 40 * 1024)
    }

    /// Every frame comes from exactly one segment, equal to encoding that segment alone, and
    /// from its centre part: segments of `segment` s every `segment − overlap` s, each keeping
    /// frames up to the middle of its overlaps. pooling: mean is the mean of those frames.
    @Test(arguments: [(3.0, 1.0), (20.0, 4.0)])
    func framesComeFromTheCentresOfSegments(segment: Double, overlap: Double) throws {
        let folder = try TemporaryFolder("long-stitch")
        let input = try noise(30, in: folder)
        let samples = try AudioFileReader(path: input).readAll()
        let parameters: [String: ParameterValue] = ["model": .text(Self.model), "pooling": .text("frames"),
                                                    "segment": .number(segment), "overlap": .number(overlap)]
        let stage = try StageHarness(Wav2Vec2Stage.self, parameters: parameters, inputs: [.audio(sampleRate: 16000, channels: 1)])
        let blocks = try stage.push(file: input, blockFrames: 1000) + (try stage.finish())
        let encoder = try Wav2Vec2Encoder(folder: Self.model)
        let (length, hop, half) = (Int(segment * 16000), Int((segment - overlap) * 16000), Int(overlap * 16000) / 2)
        #expect(blocks.count == max(1, Int((Double(samples.count - length) / Double(hop)).rounded(.up)) + 1))
        var next: Int64 = 0
        for (index, block) in blocks.enumerated() {
            let start = index * hop
            let isLast = index == blocks.count - 1
            let expectedTime = Int64(start + (index == 0 ? 0 : half))
            #expect(block.time == next && block.time == expectedTime, "segment \(index) starts at \(block.time)")
            next = block.time + Int64(block.rows * 320)
            let direct = try encoder.encode(Array(samples[start..<min(samples.count, start + length)])).lastHiddenState
            let first = Int(block.time - Int64(start)) / 320
            #expect(isLast ? first + block.rows == direct.rows : block.time + Int64(block.rows * 320) == Int64(start + hop + half))
            let comparison = ValueComparison(block.values, direct.values[(first * 48)..<((first + block.rows) * 48)])
            #expect(comparison.isWithin(1e-5), "segment \(index): \(comparison)")
        }
        #expect(Int(next / 320) == encoder.config.frames(forSamples: samples.count))
        let pooled = try StageHarness(Wav2Vec2Stage.self, parameters: parameters.merging(["pooling": .text("mean")]) { $1 },
                                      inputs: [.audio(sampleRate: 16000, channels: 1)])
        let mean = try #require(try (pooled.push(file: input, blockFrames: 1000) + pooled.finish()).first)
        let frames = blocks.flatMap(\.values)
        let expected = (0..<48).map { column in stride(from: column, to: frames.count, by: 48).reduce(Float(0)) { $0 + frames[$1] } / Float(frames.count / 48) }
        let comparison = ValueComparison(mean.values, expected)
        #expect(mean.time == 0 && comparison.isWithin(1e-5), "\(comparison)")
    }
}
