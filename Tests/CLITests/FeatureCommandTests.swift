import ArrayFiles
import Foundation
import Testing
import TestSupport

/// The feature graphs in graphs/ and `sergraph features`, run by the executable.
@Suite struct FeatureCommandTests {
    let speech = packageRoot + "/Tests/Fixtures/speech-16k.wav"

    @Test func mfccGraphWritesNormalisedFrames() throws {
        let folder = try TemporaryFolder("mfcc-graph")
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/mfcc-deltas.yaml", speech, "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let mfcc = try NpyArray(path: folder.file("speech-16k.mfcc.npy"))
        #expect(mfcc.rows == 260 && mfcc.columns == 39)
        // Normalised per file: every column has mean 0 and variance 1 over the frames.
        for column in [0, 5, 20, 38] {
            let values = (0..<mfcc.rows).map { Double(mfcc.values[$0 * 39 + column]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(mean) < 1e-4 && abs(variance - 1) < 1e-3, "column \(column): mean \(mean), variance \(variance)")
        }
    }

    @Test func speechWindowsGraphKeepsWindowsOnSpeech() throws {
        let folder = try TemporaryFolder("speech-windows")
        let padded = folder.file("padded.wav")
        try #require(runCommand("sox", [speech, padded, "pad", "2", "2"]).status == 0)  // 2 s of silence each side
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/speech-windows.yaml", padded, "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let windows = try NpyArray(path: folder.file("padded.windows.npy"))
        #expect(windows.columns == 100 * 40)
        // 6.6 s of audio gives 23 windows of 1 s every 0.25 s; about 2.2 s of speech keeps only some.
        #expect(windows.rows >= 4 && windows.rows <= 12, "\(windows.rows) windows kept")
        let segments = try jsonLines(folder.file("padded.speech.jsonl"))
        #expect(!segments.isEmpty)
        #expect(segments.allSatisfy { ($0["time"] as? Double ?? 0) >= 1.9 && ($0["time"] as? Double ?? 0) < 4.7 })
    }

    @Test func featuresCommandWritesOneFilePerOutput() throws {
        let folder = try TemporaryFolder("features-command")
        let result = try runCommand(sergraphExecutable, ["features", "logmel", speech, "-o", folder.path, "-p", "mels=64", "-p", "hop=0.02"])
        #expect(result.status == 0, "\(result.stderr)")
        let logmel = try NpyArray(path: folder.file("speech-16k.logmel.npy"))
        #expect(logmel.columns == 64 && logmel.rows == 1 + (42039 - 512) / 320)
        let bad = try runCommand(sergraphExecutable, ["features", "logmel", speech, "-o", folder.path, "-p", "mells=64"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown parameter 'mells' for logmel (did you mean 'mels'?)"))
    }
}

extension FeatureCommandTests {
    /// A file shorter than one 512-sample frame gives an empty array of the right width, and
    /// succeeds; one sample more than that gives its one frame.
    @Test(arguments: [(320, 0), (511, 0), (512, 1), (673, 2)])
    func filesShorterThanAFrameGiveNoRows(samples: Int, rows: Int) throws {
        let folder = try TemporaryFolder("features-short")
        let clip = folder.file("clip.wav")
        try #require(runCommand("sox", [speech, clip, "trim", "0s", "\(samples)s"]).status == 0)
        for (kind, columns) in [("logmel", 40), ("mfcc", 13)] {
            let result = try runCommand(sergraphExecutable, ["features", kind, clip, "-o", folder.path, "-p", "n-fft=512"])
            #expect(result.status == 0, "\(result.stderr)")
            let array = try NpyArray(path: folder.file("clip.\(kind).npy"))
            #expect(array.rows == rows && array.columns == columns, "\(kind) of \(samples) samples: \(array.rows) × \(array.columns)")
        }
    }

    /// graphs/wav2vec2-embeddings.yaml runs the encoder offline and writes its embeddings.
    @Test func wav2vec2GraphWritesEmbeddings() throws {
        let folder = try TemporaryFolder("wav2vec2-graph")
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/wav2vec2-embeddings.yaml",
                                                         packageRoot + "/examples/hello-48k.flac", "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let utterance = try NpyArray(path: folder.file("hello-48k.utterance.npy"))
        let frames = try NpyArray(path: folder.file("hello-48k.layer2-frames.npy"))
        #expect(utterance.rows == 1 && utterance.columns == 48)
        #expect(frames.columns == 48 && frames.rows == 306)  // 6.125 s at 16 kHz through the strides: 306 frames
    }
}
