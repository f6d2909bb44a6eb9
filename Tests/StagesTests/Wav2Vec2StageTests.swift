import ArrayFiles
import AudioFiles
import Foundation
import Neural
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The wav2vec2-encoder stage and `sergraph embed`, on the tiny parity model.
@Suite struct Wav2Vec2StageTests {
    static let fixtures = packageRoot + "/Tests/Fixtures/wav2vec2/"
    let audio = try! NpyArray(path: fixtures + "input.npy").values

    /// The largest difference; infinite when the counts differ or there is nothing to compare.
    func maxDifference(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
        Float(ValueComparison(a, b).worst)
    }

    /// Offline, per frame, every layer concatenated: the rows are PyTorch's hidden states side by side.
    @Test func framesOfEveryLayerMatchPyTorch() throws {
        let stage = try StageHarness(Wav2Vec2Stage.self, parameters: [
            "model": .text(Self.fixtures + "base-tiny"), "output-layers": .text("all"), "combine": .text("concat"),
            "pooling": .text("frames"),
        ], inputs: [.audio(sampleRate: 16000, channels: 1)])
        #expect(stage.outputFormats == [.embedding(dimension: 4 * 48, hop: 320, sampleRate: 16000)])
        var blocks: [Block] = []
        for start in stride(from: 0, to: audio.count, by: 4000) {
            blocks += try stage.push(Block(time: Int64(start), width: 1, values: Array(audio[start..<min(audio.count, start + 4000)])))
        }
        #expect(blocks.isEmpty)  // offline: the whole utterance at its end
        blocks += try stage.finish()
        let rows = try #require(blocks.first)
        #expect(rows.rows == 59 && rows.time == 0)
        for layer in 0...3 {
            let reference = try NpyArray(path: Self.fixtures + "base-tiny/hidden_state_\(layer).npy")
            var ours: [Float] = []
            for frame in 0..<59 {
                let start: Int = frame * 192 + layer * 48
                ours += rows.values[start..<(start + 48)]
            }
            #expect(maxDifference(ours, reference.values) <= 1e-4, "layer \(layer)")
        }
    }

    /// Live-style windows: one mean-pooled row per window, equal to encoding that window alone.
    @Test func windowsArePooledEncodings() throws {
        let stage = try StageHarness(Wav2Vec2Stage.self, parameters: [
            "model": .text(Self.fixtures + "large-tiny"), "window": .number(0.5), "hop": .number(0.25),
        ], inputs: [.audio(sampleRate: 16000, channels: 1)])
        let rows = try stage.push(Block(time: 0, width: 1, values: audio))
        #expect(rows.map(\.time) == [0, 4000, 8000])  // windows of 8000 samples every 4000 within 19200
        let encoder = try Wav2Vec2Encoder(folder: Self.fixtures + "large-tiny")
        let second = try encoder.encode(Array(audio[4000..<12000])).lastHiddenState
        let mean = (0..<48).map { c in (0..<second.rows).reduce(Float(0)) { $0 + second.values[$1 * 48 + c] } / Float(second.rows) }
        #expect(maxDifference(rows[1].values, mean) < 1e-5)
    }

    @Test func badLayerSelectionIsRefused() throws {
        let error = #expect(throws: StageError.self) {
            try StageHarness(Wav2Vec2Stage.self, parameters: ["model": .text(Self.fixtures + "base-tiny"), "output-layers": .text("0,9")],
                             inputs: [.audio(sampleRate: 16000, channels: 1)])
        }
        #expect(error?.description.contains("indices from 0 to 3") == true)
        #expect(throws: StageError.self) {
            try StageHarness(Wav2Vec2Stage.self, parameters: ["model": .text(Self.fixtures + "base-tiny")],
                             inputs: [.audio(sampleRate: 48000, channels: 1)])
        }
    }

    /// `sergraph embed` writes PyTorch's hidden states, resampling a 48 kHz file first.
    @Test func embedCommandWritesHiddenStates() throws {
        let folder = try TemporaryFolder("embed")
        let input = folder.file("clip.wav")
        let writer = try AudioFileWriter(path: input, sampleRate: 16000, channels: 1, encoding: .float)
        try writer.write(audio)
        try writer.close()
        let result = try runCommand(sergraphExecutable, ["embed", Self.fixtures + "hubert-tiny", input, "-o", folder.file("out"), "--layers", "0,3"])
        #expect(result.status == 0, "\(result.stderr)")
        for layer in [0, 3] {
            let ours = try NpyArray(path: folder.file("out/clip.layer-\(layer).npy"))
            let reference = try NpyArray(path: Self.fixtures + "hubert-tiny/hidden_state_\(layer).npy")
            #expect(ours.rows == reference.rows && ours.columns == reference.columns)
            #expect(maxDifference(ours.values, reference.values) <= 1e-4)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/clip.layer-1.npy")))
        let again = try runCommand(sergraphExecutable, ["embed", Self.fixtures + "hubert-tiny", input, "-o", folder.file("out"), "--layers", "0,3"])
        #expect(again.stderr.contains("skipped, outputs exist"))
        let missing = try runCommand(sergraphExecutable, ["embed", folder.path, input, "-o", folder.file("out")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("config.json"))
    }
}

extension Wav2Vec2StageTests {
    /// A classification checkpoint's learned `layer_weights` weigh the hidden states (softmax first).
    @Test func learnedLayerWeightsWeighTheStates() throws {
        let folder = try TemporaryFolder("layer-weights")
        let source = try SafeTensorsFile(path: Self.fixtures + "base-tiny/model.safetensors")
        var tensors = try Dictionary(uniqueKeysWithValues: source.entries.keys.map { ("wav2vec2." + $0, try source.tensor($0)) })
        let raw: [Float] = [0.5, -1, 2, 0]
        tensors["layer_weights"] = Tensor(shape: [4], values: raw)
        try SafeTensorsWriter.write(tensors, to: folder.file("model.safetensors"))
        try FileManager.default.copyItem(atPath: Self.fixtures + "base-tiny/config.json", toPath: folder.file("config.json"))
        let stage = try StageHarness(Wav2Vec2Stage.self, parameters: [
            "model": .text(folder.path), "output-layers": .text("all"), "combine": .text("weighted"), "pooling": .text("frames"),
        ], inputs: [.audio(sampleRate: 16000, channels: 1)])
        try stage.push(Block(time: 0, width: 1, values: audio))
        let rows = try #require(try stage.finish().first)
        let softmax = raw.map { exp($0 - 2) }.map { $0 / raw.map { exp($0 - 2) }.reduce(0, +) }
        let states = try (0...3).map { try NpyArray(path: Self.fixtures + "base-tiny/hidden_state_\($0).npy").values }
        let expected = (0..<states[0].count).map { index in (0...3).reduce(Float(0)) { $0 + softmax[$1] * states[$1][index] } }
        #expect(maxDifference(rows.values, expected) <= 1e-4)
    }
}
