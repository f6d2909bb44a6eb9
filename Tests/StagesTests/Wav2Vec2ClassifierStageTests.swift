import ArrayFiles
import Foundation
import Neural
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The wav2vec2-classifier stage against transformers' `*ForSequenceClassification` outputs
/// (Tests/Fixtures/wav2vec2-classifier, made by scripts/neural/make_wav2vec2_fixtures.py).
@Suite struct Wav2Vec2ClassifierStageTests {
    static let fixtures = packageRoot + "/Tests/Fixtures/wav2vec2-classifier/"
    let audio = try! NpyArray(path: packageRoot + "/Tests/Fixtures/wav2vec2/input.npy").values

    /// Runs the stage on `samples` (one stream); returns its output formats and every block with its port.
    func classify(_ folder: String, _ samples: [Float], parameters: [String: ParameterValue] = [:]) throws
        -> (formats: [StreamFormat], blocks: [(port: Int, block: Block)]) {
        let values = try Parameters(parameters.merging(["model": .text(folder)]) { a, _ in a }, specs: Wav2Vec2ClassifierStage.info.parameters)
        let stage = try Wav2Vec2ClassifierStage(parameters: values, context: StageContext(stageName: "teacher", outputs: OutputFiles()))
        let formats = try stage.prepare(inputs: [.audio(sampleRate: 16000, channels: 1)])
        var blocks: [(port: Int, block: Block)] = []
        let output = Output { blocks.append(($0, $1)) }
        try stage.process(Block(time: 0, width: 1, values: samples), port: 0, output: output)
        try stage.finish(output: output)
        return (formats, blocks)
    }

    /// Posteriors, logits (as log-posteriors, up to a constant) and the pooled projector output
    /// within 1e-4 of transformers, with the weighted layer sum (wav2vec2 pre-norm, HuBERT) and without.
    @Test(arguments: ["base-tiny", "large-tiny-weighted", "hubert-tiny-weighted"])
    func matchesTransformers(_ name: String) throws {
        let (formats, blocks) = try classify(Self.fixtures + name, audio)
        #expect(formats == [.posterior(labels: ["neutral", "happy", "sad", "angry"], hop: 1, sampleRate: 16000),
                                        .embedding(dimension: 24, hop: 1, sampleRate: 16000)])
        let posteriors = try #require(blocks.first { $0.port == 0 }?.block)
        let embedding = try #require(blocks.first { $0.port == 1 }?.block)
        #expect(posteriors.rows == 1 && embedding.rows == 1 && blocks.count == 2)
        let expected = try NpyArray(path: Self.fixtures + name + "/posteriors.npy").values
        #expect(largestDifference(posteriors.values, expected) <= 1e-4)
        #expect(largestDifference(embedding.values, try NpyArray(path: Self.fixtures + name + "/embedding.npy").values) <= 1e-4)
        let logits = try NpyArray(path: Self.fixtures + name + "/logits.npy").values
        let logPosteriors = posteriors.values.map { log($0) }
        let shift = zip(logits, logPosteriors).map { $0 - $1 }.reduce(0, +) / Float(logits.count)
        #expect(largestDifference(logPosteriors.map { $0 + shift }, logits) <= 1e-4)
    }

    /// Live windows: one row per window on each port, each as the window classified alone.
    @Test func windowsAreClassifiedAlone() throws {
        let folder = Self.fixtures + "large-tiny-weighted"
        let (_, blocks) = try classify(folder, audio, parameters: ["window": .number(0.5), "hop": .number(0.25)])
        let rows = blocks.filter { $0.port == 0 }.map(\.block)
        #expect(rows.map(\.time) == [0, 4000, 8000])
        let (_, alone) = try classify(folder, Array(audio[4000..<12000]))
        #expect(largestDifference(rows[1].values, alone[0].block.values) <= 1e-5)
        #expect(blocks.filter { $0.port == 1 }.map(\.block.time) == [0, 4000, 8000])
    }

    /// A copy of base-tiny's checkpoint with `edit` applied to its tensors and `config` to its config.json.
    func brokenCopy(_ label: String, tensors edit: (inout [String: Tensor]) -> Void = { _ in },
                    config: (String) -> String = { $0 }) throws -> TemporaryFolder {
        let folder = try TemporaryFolder(label)
        let source = try SafeTensorsFile(path: Self.fixtures + "base-tiny/model.safetensors")
        var tensors = try Dictionary(uniqueKeysWithValues: source.entries.keys.map { ($0, try source.tensor($0)) })
        edit(&tensors)
        try SafeTensorsWriter.write(tensors, to: folder.file("model.safetensors"))
        let text = try String(contentsOfFile: Self.fixtures + "base-tiny/config.json", encoding: .utf8)
        try config(text).write(toFile: folder.file("config.json"), atomically: true, encoding: .utf8)
        return folder
    }

    func loadError(_ folder: TemporaryFolder) -> String {
        do {
            _ = try Wav2Vec2Encoder(folder: folder.path)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    /// Missing and mis-shaped head tensors are named with the expected and the found shape.
    @Test func brokenHeadTensorsAreNamed() throws {
        let missing = try brokenCopy("head-missing") { $0["projector.bias"] = nil }
        #expect(loadError(missing) == "\(missing.path)/model.safetensors: tensor 'projector.bias' of the classification head is missing (expected shape [24])")
        let misshaped = try brokenCopy("head-shape") { $0["classifier.weight"] = Tensor(shape: [4, 23], repeating: 0.1) }
        #expect(loadError(misshaped) == "\(misshaped.path)/model.safetensors: tensor 'classifier.weight' has shape [4, 23], expected [K, 24]")
        let noWeights = try brokenCopy("head-layer-weights", config: {
            $0.replacingOccurrences(of: #""use_weighted_layer_sum": false"#, with: #""use_weighted_layer_sum": true"#)
        })
        #expect(loadError(noWeights).hasSuffix("tensor 'layer_weights' of the classification head is missing (expected shape [4])"))
    }

    /// id2label must name classes 0..K−1, K being the classifier's rows.
    @Test func id2labelIsValidated() throws {
        let gap = try brokenCopy("id2label-gap", config: { $0.replacingOccurrences(of: #""3": "angry""#, with: #""4": "angry""#) })
        #expect(loadError(gap) == "\(gap.path)/config.json: `id2label` key '4' is not a class index 0...3 (classifier.weight has 4 rows)")
        let short = try brokenCopy("id2label-short", config: { $0.replacingOccurrences(of: #","# + "\n" + #"    "3": "angry""#, with: "") })
        #expect(loadError(short) == "\(short.path)/config.json: `id2label` has 3 labels, the classifier (classifier.weight) 4 classes")
    }

    /// A plain encoder has no head: the stage says so at validation.
    @Test func encoderWithoutHeadIsRefused() throws {
        let plain = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"
        #expect(try Wav2Vec2Encoder(folder: plain).head == nil)
        let error = #expect(throws: StageError.self) { try classify(plain, audio) }
        #expect("\(error!)".contains("is an encoder without a classification head"))
    }
}
