import AudioFiles
import ArrayFiles
import Foundation
import Testing
import TestSupport

/// What `sergraph process` does with audio it cannot take as it is: NaN and infinite samples
/// are replaced by 0 with a warning (the file still counts as processed), and a header rate
/// outside 1 kHz…768 kHz fails that file, naming it; the other files complete either way.
@Suite struct AudioInputPolicyTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder("input-policy") }

    /// One second of a 440 Hz sine at 16 kHz as float WAV, with NaN, +inf and −inf spread over it.
    func spoiledInput() throws -> String {
        let path = folder.file("in/spoiled.wav")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        var samples = sine(frequency: 440, rate: 16000, seconds: 1)
        for (index, value) in [(100, Float.nan), (8000, .infinity), (12000, -.infinity), (15999, .nan)] { samples[index] = value }
        let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1, encoding: .float)
        try writer.write(samples)
        try writer.close()
        return path
    }

    @Test func nonFiniteSamplesAreReplacedWithAWarning() throws {
        let input = try spoiledInput()
        let graph = """
            chain:
              - file-source
              - level: {window: 0.25}
              - jsonl-sink: {path: "{stem}.jsonl"}
            stages:
              csv: {type: csv-sink, from: level, path: "{stem}.csv"}
              logmel: {type: logmel, from: file-source}
              npy: {type: npy-sink, from: logmel, path: "{stem}.npy"}
            """
        let graphFile = folder.file("graph.yaml")
        try graph.write(toFile: graphFile, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["process", graphFile, folder.file("in"), "-o", folder.file("out")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: \(input): 4 samples were NaN or infinite (the first at 0.006 s, frame 100, channel 1) and were replaced by 0"),
                "\(result.stderr)")
        #expect(result.stderr.contains("processed 1, skipped 0, failed 0 of 1 files"))
        let levels = try jsonLines(folder.file("out/spoiled.jsonl"))
        #expect(levels.count == 4)
        for level in levels {
            let rms = try #require(level["rms_db"] as? Double, "\(level)")
            #expect(abs(rms - decibels(0.5 / 2.0.squareRoot())) < 0.01, "\(level)")
        }
        let csv = try String(contentsOfFile: folder.file("out/spoiled.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5)
        #expect(!csv.contains("inf") && !csv.contains("nan"), "\(csv)")
        let features = try NpyArray(path: folder.file("out/spoiled.npy"))
        #expect(features.rows == (16000 - 512) / 160 + 1 && features.columns == 40)  // 512-point frames every 160 samples, 40 mels
        #expect(features.values.allSatisfy { $0.isFinite })
    }

    /// A header claiming 2 GHz once sent the mel filterbank after gigabytes; now the file fails
    /// at once, named, and the good file beside it completes.
    @Test func ratesOutsideTheRangeFailThatFile() throws {
        let good = folder.file("in/good.wav")
        let bad = folder.file("in/bad.wav")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for path in [good, bad] {
            let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1, encoding: .pcm16)
            try writer.write(sine(frequency: 440, rate: 16000, seconds: 1))
            try writer.close()
        }
        let file = try #require(FileHandle(forUpdatingAtPath: bad))
        try file.seek(toOffset: 24)  // fmt chunk: sample rate, then bytes per second
        try file.write(contentsOf: withUnsafeBytes(of: UInt32(2_000_000_000).littleEndian) { Data($0) })
        try file.write(contentsOf: withUnsafeBytes(of: UInt32(4_000_000_000).littleEndian) { Data($0) })
        try file.close()
        let started = Date()
        let result = try runCommand(sergraphExecutable, ["features", "logmel", folder.file("in"), "-o", folder.file("out")])
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(bad): "), "\(result.stderr)")
        #expect(result.stderr.contains("its header says 2000000000 Hz; file-source reads 1000 to 768000 Hz"), "\(result.stderr)")
        #expect(result.stderr.contains("processed 1, skipped 0, failed 1 of 2 files"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("out/good.logmel.npy")))
    }

    @Test func stagesDescribesTheFileSourcePolicy() throws {
        let result = try runCommand(sergraphExecutable, ["stages", "file-source"])
        #expect(result.status == 0)
        let text = result.stdout.replacingOccurrences(of: "\n", with: " ")
        #expect(text.contains("files at 1 kHz to 768 kHz, others are refused"), "\(result.stdout)")
        #expect(text.contains("NaN or infinite samples become 0, with a warning that counts them"), "\(result.stdout)")
    }
}
