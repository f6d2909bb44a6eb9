import ArrayFiles
import Foundation
@testable import Neural
import Testing
import TestSupport

/// The Swift exit heads (GRU, layer norm, SELU, mean, two linear layers, softmax) against
/// PyTorch on random heads over the tiny encoders (`scripts/neural/make_exit_fixtures.py`;
/// Tests/Fixtures/wav2vec2-exits/). Tolerance: max absolute error ≤ 1e-4.
@Suite struct EarlyExitParityTests {
    static let fixtures = packageRoot + "/Tests/Fixtures/wav2vec2-exits/"

    func input() throws -> [Float] { try NpyArray(path: packageRoot + "/Tests/Fixtures/wav2vec2/input.npy").values }

    func worst(_ ours: [Float], shape: [Int], _ file: String) throws -> Double {
        let reference = try NpyArray(path: file)
        let comparison = ValueComparison(ours, reference.values, shape: shape, expectedShape: [reference.rows, reference.columns])
        #expect(comparison.worst.isFinite, "\(file): \(comparison)")
        return comparison.worst
    }

    @Test(arguments: ["base-tiny-exits", "large-tiny-exits"])
    func everyExitMatchesPyTorch(model: String) throws {
        let folder = Self.fixtures + model
        let exits = try EarlyExitModel(folder: folder)
        #expect(exits.exits == [1, 3])
        #expect(exits.labels == ["neutral", "happy", "sad", "angry"])
        var errors: [String: Double] = [:]
        for head in exits.heads {
            let reference = folder + "/exit_\(head.layer)_"
            var pass = try exits.encoder.start(try input())
            try exits.encoder.advance(&pass, to: head.layer)
            #expect(pass.depth == head.layer)
            let gru = head.gru(pass.hidden)
            errors["exit \(head.layer) gru"] = try worst(gru.values, shape: gru.shape, reference + "gru.npy")
            let output = head.apply(pass.hidden)
            errors["exit \(head.layer) pooled"] = try worst(output.pooled, shape: [1, output.pooled.count], reference + "pooled.npy")
            errors["exit \(head.layer) logits"] = try worst(output.logits, shape: [1, 4], reference + "logits.npy")
            errors["exit \(head.layer) posteriors"] = try worst(output.posteriors, shape: [1, 4], reference + "posteriors.npy")
            let classified = try #require(try exits.classify(try input(), exit: head.layer))
            // Within float rounding: a test beside this one may change BLAS's thread count between
            // the two passes (oneDNN's convolutions then split their sums otherwise).
            #expect(zip(classified.posteriors, output.posteriors).allSatisfy { abs($0 - $1) <= 1e-6 },
                    "\(classified.posteriors) against \(output.posteriors)")
        }
        print("parity \(model): " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for (name, error) in errors { #expect(error <= 1e-4, "\(model) \(name): \(error)") }
    }

    /// The pass taken deeper step by step gives the states a whole encoding gives (within float
    /// rounding: a test beside this one may change BLAS's thread count between the two encodings,
    /// and oneDNN's convolutions then split their sums otherwise).
    @Test func aPassAdvancedInStepsEqualsTheWholeEncoding() throws {
        let encoder = try Wav2Vec2Encoder(folder: Self.fixtures + "large-tiny-exits")
        let whole = try encoder.encode(try input())
        func expectSame(_ a: Tensor, _ b: Tensor) {
            #expect(a.shape == b.shape && ValueComparison(a.values, b.values).isWithin(1e-4), "\(ValueComparison(a.values, b.values))")
        }
        var pass = try encoder.start(try input())
        expectSame(pass.hidden, whole.hiddenStates[0])
        try encoder.advance(&pass, to: 1)
        expectSame(pass.hidden, whole.hiddenStates[1])
        try encoder.advance(&pass, to: 7)  // beyond the depth: stops at the last layer
        #expect(pass.depth == 3)
        expectSame(pass.hidden, whole.hiddenStates[3])
        expectSame(encoder.output(of: pass), whole.lastHiddenState)
    }

    /// Broken folders are refused naming the file and what is wrong.
    @Test func brokenExitFoldersAreNamed() throws {
        let source = Self.fixtures + "base-tiny-exits/"
        let cases: [(edit: (inout [String: Any]) -> Void, expected: String)] = [
            ({ $0["exits"] = [1, 5] }, "exit layer 5 is outside the encoder's layers 1...3"),
            ({ $0["exits"] = [3, 1] }, "must be ascending"),
            ({ $0["format_version"] = 2 }, "`format_version` must be"),
            ({ $0["labels"] = ["a", "a", "b", "c"] }, "names one class twice"),
            ({ $0["labels"] = ["a", "b"] }, "`head.classes` 4 differs from the 2 labels"),
            ({ var head = $0["head"] as! [String: Any]; head["gru_hidden"] = 41; $0["head"] = head },
             "exits.safetensors: tensor 'exits.1.gru.weight_ih_l0' has shape [120, 48], expected [123, 48]"),
            ({ var head = $0["head"] as! [String: Any]; head["input_size"] = 32; $0["head"] = head },
             "`head.input_size` 32 differs from the encoder's `hidden_size` 48"),
            ({ $0["exits"] = [1, 2] }, "tensor 'exits.2.gru.weight_ih_l0' is missing"),
        ]
        for (edit, expected) in cases {
            let folder = try TemporaryFolder("exits-broken")
            for name in ["config.json", "model.safetensors", "exits.safetensors"] {
                try FileManager.default.copyItem(atPath: source + name, toPath: folder.path + "/" + name)
            }
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "exits.json"))) as! [String: Any]
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: folder.path + "/exits.json"))
            do {
                _ = try EarlyExitModel(folder: folder.path)
                Issue.record("loaded a folder that should fail with \(expected)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
                #expect("\(error)".contains(folder.path), "\(error)")
            }
        }
    }
}
