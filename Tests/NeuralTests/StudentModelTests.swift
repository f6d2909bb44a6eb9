import Foundation
import Neural
import Testing
import TestSupport

/// Loading a student model folder: what is refused, and how it is said.
@Suite struct StudentModelTests {
    let fixture = packageRoot + "/Tests/Fixtures/student/tiny"

    /// A copy of the fixture model with its JSON and tensors changed.
    private func variant(json: (inout [String: Any]) -> Void = { _ in },
                         tensors: (inout [String: Tensor]) -> Void = { _ in }) throws -> TemporaryFolder {
        let folder = try TemporaryFolder("student-model")
        var description = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture + "/model.json"))) as! [String: Any]
        json(&description)
        try JSONSerialization.data(withJSONObject: description).write(to: URL(fileURLWithPath: folder.file("model.json")))
        let file = try SafeTensorsFile(path: fixture + "/model.safetensors")
        var all = try Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, try file.tensor($0)) })
        tensors(&all)
        try SafeTensorsWriter.write(all, to: folder.file("model.safetensors"))
        return folder
    }

    private func refusal(_ folder: TemporaryFolder) -> String {
        do {
            _ = try StudentModel(folder: folder.path)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func loadsTheFixture() throws {
        let model = try StudentModel(folder: fixture)
        #expect(model.labels == ["neutral", "happy", "sad", "angry", "fearful"])
        #expect(model.windowFrames == 20 && model.mels == 64 && model.blocks.map(\.outputChannels) == [4, 8, 12])
        #expect(model.features["mels"] == .number(64) && model.features["window"] == .text("hann"))
        let copy = try variant()
        #expect(refusal(copy) == "accepted")
    }

    @Test func refusesAnUnknownFormatVersion() throws {
        let folder = try variant(json: { $0["format_version"] = 2 })
        #expect(refusal(folder) == "\(folder.file("model.json")): format_version 2 is not known (this sergraph reads version 1)")
    }

    @Test func refusesAMissingTensor() throws {
        let folder = try variant(tensors: { $0["blocks.1.bn.running_var"] = nil })
        #expect(refusal(folder) == "\(folder.file("model.safetensors")): tensor 'blocks.1.bn.running_var' is missing (expected shape [8])")
    }

    @Test func refusesAMisshapedTensor() throws {
        let folder = try variant(tensors: { $0["classifier.weight"] = Tensor(shape: [4, 256], repeating: 0) })
        #expect(refusal(folder) == "\(folder.file("model.safetensors")): tensor 'classifier.weight' has shape [4, 256], expected [5, 256]")
        let conv = try variant(tensors: { $0["blocks.2.conv.weight"] = Tensor(shape: [12, 8, 5, 5], repeating: 0) })
        #expect(refusal(conv) == "\(conv.file("model.safetensors")): tensor 'blocks.2.conv.weight' has shape [12, 8, 5, 5], expected [12, 8, 3, 3]")
    }

    @Test func refusesNormalisationOfAnotherWidth() throws {
        let folder = try variant(json: { json in
            var normalization = json["normalization"] as! [String: Any]
            normalization["mean"] = [Double](repeating: 0, count: 40)
            json["normalization"] = normalization
        })
        #expect(refusal(folder).hasSuffix("normalization mean and std have 40 and 64 values, expected 64 (features.mels)"))
    }

    /// Batch norm folded into the convolution gives what batch norm after it gives (the fixture's
    /// statistics are far from identity, so a wrong fold shows).
    @Test func foldedBatchNormMatchesUnfolded() throws {
        let model = try StudentModel(folder: fixture)
        let file = try SafeTensorsFile(path: fixture + "/model.safetensors")
        let weight = try file.tensor("blocks.0.conv.weight").values
        let (gamma, beta) = (try file.tensor("blocks.0.bn.weight").values, try file.tensor("blocks.0.bn.bias").values)
        let (mean, variance) = (try file.tensor("blocks.0.bn.running_mean").values, try file.tensor("blocks.0.bn.running_var").values)
        let patch: [Float] = (0..<9).map { Float($0) * 0.3 - 1 }
        for channel in 0..<4 {
            let raw = (0..<9).reduce(Float(0)) { $0 + weight[channel * 9 + $1] * patch[$1] }
            let normalised = gamma[channel] * (raw - mean[channel]) / (variance[channel] + 1e-5).squareRoot() + beta[channel]
            let folded = (0..<9).reduce(model.blocks[0].bias[channel]) { $0 + model.blocks[0].weight[channel * 9 + $1] * patch[$1] }
            #expect(abs(normalised - folded) < 1e-4 * max(1, abs(normalised)))
        }
    }
}

/// The network on shapes the PyTorch fixture does not have (kernel 5, pool 3, an odd number of
/// mels), against a direct convolution written out here.
@Suite struct StudentNetworkShapeTests {
    @Test func matchesADirectComputationWithKernel5AndPool3() throws {
        let (frames, mels, channels, kernel, pool, labels) = (13, 11, [3, 4], 5, 3, 3)
        var random = SystemRandomNumberGenerator()
        func values(_ count: Int, _ range: ClosedRange<Float> = -0.5...0.5) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &random) } }
        var tensors: [String: Tensor] = [:]
        var inputs = 1
        for (index, outputs) in channels.enumerated() {
            tensors["blocks.\(index).conv.weight"] = Tensor(shape: [outputs, inputs, kernel, kernel], values: values(outputs * inputs * kernel * kernel))
            tensors["blocks.\(index).bn.weight"] = Tensor(shape: [outputs], values: values(outputs, 0.5...1.5))
            tensors["blocks.\(index).bn.bias"] = Tensor(shape: [outputs], values: values(outputs))
            tensors["blocks.\(index).bn.running_mean"] = Tensor(shape: [outputs], values: values(outputs))
            tensors["blocks.\(index).bn.running_var"] = Tensor(shape: [outputs], values: values(outputs, 0.2...2))
            inputs = outputs
        }
        tensors["embedding.weight"] = Tensor(shape: [256, inputs], values: values(256 * inputs))
        tensors["embedding.bias"] = Tensor(shape: [256], values: values(256))
        tensors["classifier.weight"] = Tensor(shape: [labels, 256], values: values(labels * 256))
        tensors["classifier.bias"] = Tensor(shape: [labels], values: values(labels))
        let mean = values(mels, -2...2), std = values(mels, 0.5...2)
        let folder = try TemporaryFolder("student-shapes")
        try SafeTensorsWriter.write(tensors, to: folder.file("model.safetensors"))
        let description: [String: Any] = [
            "format": "sergraph-student", "format_version": 1, "labels": ["a", "b", "c"],
            "architecture": ["name": "cnn", "channels": channels, "kernel": kernel, "pool": pool, "embedding_dim": 256, "bn_eps": 1e-5],
            "features": ["kind": "logmel", "mels": mels], "window": ["frames": frames, "hop_frames": 4],
            "normalization": ["center": "window", "mean": mean, "std": std],
        ]
        try JSONSerialization.data(withJSONObject: description).write(to: URL(fileURLWithPath: folder.file("model.json")))
        let model = try StudentModel(folder: folder.path)
        let windows = (0..<5).map { _ in values(frames * mels, -60...10) }
        let network = StudentNetwork(model: model, capacity: 2)
        var posteriors = [Float](repeating: 0, count: 5 * labels)
        windows.flatMap { $0 }.withUnsafeBufferPointer { network.run($0.baseAddress!, count: 5, posteriors: &posteriors) }

        for (number, window) in windows.enumerated() {
            // Normalised input, then each block: convolution, batch norm, ReLU, average pooling.
            let center = window.reduce(0, +) / Float(window.count)
            var maps: [[[Float]]] = [(0..<frames).map { t in (0..<mels).map { m in (window[t * mels + m] - center - mean[m]) / std[m] } }]
            var inputs = 1
            for (index, outputs) in channels.enumerated() {
                let weight = tensors["blocks.\(index).conv.weight"]!.values
                let (gamma, beta) = (tensors["blocks.\(index).bn.weight"]!.values, tensors["blocks.\(index).bn.bias"]!.values)
                let (mu, variance) = (tensors["blocks.\(index).bn.running_mean"]!.values, tensors["blocks.\(index).bn.running_var"]!.values)
                let (height, width) = (maps[0].count, maps[0][0].count)
                var next: [[[Float]]] = []
                for o in 0..<outputs {
                    var plane = Array(repeating: Array(repeating: Float(0), count: width), count: height)
                    for t in 0..<height {
                        for m in 0..<width {
                            var sum: Float = 0
                            for i in 0..<inputs {
                                for dy in 0..<kernel {
                                    for dx in 0..<kernel {
                                        let (y, x) = (t + dy - kernel / 2, m + dx - kernel / 2)
                                        guard y >= 0, y < height, x >= 0, x < width else { continue }
                                        sum += weight[((o * inputs + i) * kernel + dy) * kernel + dx] * maps[i][y][x]
                                    }
                                }
                            }
                            plane[t][m] = max(0, gamma[o] * (sum - mu[o]) / (variance[o] + 1e-5).squareRoot() + beta[o])
                        }
                    }
                    next.append((0..<(height / pool)).map { t in
                        (0..<(width / pool)).map { m in
                            var total: Float = 0
                            for dy in 0..<pool { for dx in 0..<pool { total += plane[t * pool + dy][m * pool + dx] } }
                            return total / Float(pool * pool)
                        }
                    })
                }
                maps = next
                inputs = outputs
            }
            let summary = maps.map { plane -> Float in
                let overMels = plane.map { $0.reduce(0, +) / Float($0.count) }
                return overMels.max()! + overMels.reduce(0, +) / Float(overMels.count)
            }
            let embeddingWeight = tensors["embedding.weight"]!.values, embeddingBias = tensors["embedding.bias"]!.values
            let hidden = (0..<256).map { j in max(0, (0..<inputs).reduce(embeddingBias[j]) { $0 + embeddingWeight[j * inputs + $1] * summary[$1] }) }
            let classifierWeight = tensors["classifier.weight"]!.values, classifierBias = tensors["classifier.bias"]!.values
            let logits = (0..<labels).map { k in (0..<256).reduce(classifierBias[k]) { $0 + classifierWeight[k * 256 + $1] * hidden[$1] } }
            let exps = logits.map { exp($0 - logits.max()!) }
            let expected = exps.map { $0 / exps.reduce(0, +) }
            for k in 0..<labels {
                #expect(abs(posteriors[number * labels + k] - expected[k]) < 1e-4, "window \(number) label \(k)")
            }
        }
    }
}
