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
