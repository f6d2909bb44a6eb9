import ArrayFiles
import Foundation
import Neural
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The `student` stage: PyTorch's posteriors through the stage, with the model's labels, and the
/// refusal of windows made otherwise than the model's training data.
@Suite struct StudentStageTests {
    let fixtures = packageRoot + "/Tests/Fixtures/student"

    /// Windows as `window` gives them after `logmel` with the fixture model's settings.
    func windowFormat(changing key: String? = nil, to value: String = "") throws -> StreamFormat {
        let model = try StudentModel(folder: fixtures + "/tiny")
        var format = StreamFormat.features("logmel", dimension: model.windowFrames * model.mels, hop: 800, sampleRate: 16000)
        format.labels = ["logmel", "\(model.windowFrames)x\(model.mels)"]
        for (name, setting) in model.features where !["kind", "sample_rate"].contains(name) { format.settings[name] = setting.description }
        format.settings["window.frames"] = String(model.windowFrames)
        if let key { format.settings[key] = value }
        return format
    }

    @Test func matchesPyTorchThroughTheStage() throws {
        let harness = try StageHarness(StudentStage.self, parameters: ["model": .text(fixtures + "/tiny"), "batch": .integer(3)],
                                       inputs: [try windowFormat()])
        #expect(harness.outputFormats[0].labels == ["neutral", "happy", "sad", "angry", "fearful"])
        #expect(harness.outputFormats[0].kind == .posterior && harness.outputFormats[0].hop == 800)
        #expect(harness.outputFormats[1].width == 256)
        let windows = try NpyArray(path: fixtures + "/windows.npy")
        let expected = try NpyArray(path: fixtures + "/posteriors.npy")
        // Two blocks (5 and 3 windows), as `window` emits them.
        let first = Block(time: 0, width: windows.columns, values: Array(windows.values[0..<(5 * windows.columns)]))
        let second = Block(time: 4000, width: windows.columns, values: Array(windows.values[(5 * windows.columns)...]))
        let out = try harness.push(first) + harness.push(second)
        let posteriors = out.filter { $0.width == 5 }
        #expect(posteriors.map(\.time) == [0, 4000])
        let values = posteriors.flatMap(\.values)
        let error = zip(values, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(values.count == expected.values.count && error < 1e-4, "largest difference \(error)")
        #expect(out.filter { $0.width == 256 }.map(\.rows) == [5, 3])
    }

    @Test(arguments: [
        ("mels", "40", "feature setting 'mels' differs: the model was trained with 64, the upstream logmel gives 40"),
        ("fmax", "7600", "feature setting 'fmax' differs: the model was trained with 8000, the upstream logmel gives 7600"),
        ("window", "hamming", "feature setting 'window' differs: the model was trained with hann, the upstream logmel gives hamming"),
        ("window.frames", "100", "window length differs: the model takes 20 frames, the upstream window gives 100"),
    ])
    func refusesOtherFeatures(key: String, value: String, message: String) throws {
        let format = try windowFormat(changing: key, to: value)
        #expect(throws: StageError.self) {
            try StageHarness(StudentStage.self, parameters: ["model": .text(fixtures + "/tiny")], inputs: [format])
        }
        do {
            _ = try StageHarness(StudentStage.self, parameters: ["model": .text(fixtures + "/tiny")], inputs: [format])
        } catch {
            #expect("\(error)" == "port 'in': \(message)")
        }
    }

    @Test func refusesFeaturesWithoutSettings() throws {
        let bare = StreamFormat.features("logmel", dimension: 20 * 64, hop: 800, sampleRate: 16000)
        do {
            _ = try StageHarness(StudentStage.self, parameters: ["model": .text(fixtures + "/tiny")], inputs: [bare])
            Issue.record("accepted windows without settings")
        } catch {
            #expect("\(error)".contains("carries no feature settings"))
        }
    }
}
