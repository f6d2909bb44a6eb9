import Foundation
import Neural
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Brief fuzz runs over what users hand sergraph: graph files, audio file headers, safetensors
/// headers and model configs. Each input may be refused, with a message; none may trap.
@Suite struct FuzzTargetTests {
    @Test func graphFiles() throws {
        let campaign = try FuzzCampaign("graph-file", fileExtension: "yaml", inputSubfolder: "graphs")
        // Graph files name models relative to themselves (../Tests/Fixtures/..., ../models/...): give the input the same neighbours.
        // Linked afresh: a link left by a run from another checkout may point at a folder gone since.
        for neighbour in ["Tests", "models"] {
            try relink(campaign.workFolder + "/" + neighbour, to: packageRoot + "/" + neighbour)
        }
        let scratch = campaign.workFolder + "/out"
        let audio = packageRoot + "/Tests/Fixtures/fuzz/audio-header/pcm16.wav"
        let loader = GraphLoader(registry: StageRegistry(BuiltinStages.all()))
        let report = try campaign.run(mutate: { mutator, seed, _ in Array(mutator.mutateText(String(decoding: seed, as: UTF8.self)).utf8) }) { path in
            let graph = try loader.load(path)
            // Agree formats as `validate --input` does (JACK graphs need a server: validation only).
            guard !graph.stages.contains(where: { $0.factory.info.name.hasPrefix("jack-") }) else { return }
            var overrides: [String: [String: ParameterValue]] = [:]
            for source in graph.fileInputs { overrides[graph.stages[source.stage].name] = [source.parameter: .text(audio)] }
            let pipeline = try Pipeline(graph: graph, bindings: RunBindings(overrides: overrides, outputDirectory: scratch))
            defer { pipeline.outputs.discard() }
            try pipeline.prepare()
        }
        print("fuzz graph-file: \(report.accepted) of \(report.inputs) accepted, \(report.errors.count) distinct errors")
        #expect(report.silentErrors == 0)
        #expect(report.accepted > 0, "the seeds themselves should validate")
    }

    @Test func audioHeaders() throws {
        let campaign = try FuzzCampaign("audio-header", fileExtension: "wav")
        let scratch = campaign.workFolder + "/out"
        let loader = GraphLoader(registry: StageRegistry(BuiltinStages.all()))
        let report = try campaign.run(mutate: { mutator, seed, others in mutator.mutateBytes(seed, headerBytes: 64, splicing: others) }) { path in
            // Whatever the header claims, the file source and a framing stage must cope or refuse.
            let graph = try loader.load("file-source path=\(path) channel=mix ! logmel ! npy-sink path=out.npy")
            let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: scratch))
            try pipeline.run()
        }
        print("fuzz audio-header: \(report.accepted) of \(report.inputs) accepted, \(report.errors.count) distinct errors")
        #expect(report.silentErrors == 0)
        #expect(report.messages(notMentioning: "input.wav").isEmpty, "every refusal names the file")
        #expect(report.accepted > 0)
    }

    @Test func safeTensorsHeaders() throws {
        let campaign = try FuzzCampaign("safetensors-header", fileExtension: "safetensors")
        let report = try campaign.run(mutate: { mutator, seed, others in
            // Half the time the header's JSON is changed as text (shapes, offsets, dtypes) and its length kept right.
            guard Bool.random(using: &mutator.random), seed.count >= 8 else { return mutator.mutateBytes(seed, headerBytes: 160, splicing: others) }
            let length = seed[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard length <= seed.count - 8 else { return mutator.mutateBytes(seed, splicing: others) }
            let header = Array(mutator.mutateText(String(decoding: seed[8..<(8 + length)], as: UTF8.self)).utf8)
            return (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + seed[(8 + length)...]
        }) { path in
            let file = try SafeTensorsFile(path: path)
            for name in file.entries.keys.sorted() { _ = try file.tensor(name) }
        }
        print("fuzz safetensors-header: \(report.accepted) of \(report.inputs) accepted, \(report.errors.count) distinct errors")
        #expect(report.silentErrors == 0)
        #expect(report.messages(notMentioning: "input.safetensors").isEmpty, "every refusal names the file")
        #expect(report.accepted > 0)
    }

    @Test func modelConfigs() throws {
        let campaign = try FuzzCampaign("model-config", fileExtension: "json", inputSubfolder: "model")
        let folder = parentFolder(of: campaign.inputPath)
        let weights = folder + "/model.safetensors"
        try relink(weights, to: packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny/model.safetensors")
        let samples = sine(frequency: 220, rate: 16000, seconds: 0.1)
        let report = try campaign.run(mutate: { mutator, seed, _ in Array(mutator.mutateText(String(decoding: seed, as: UTF8.self)).utf8) }) { path in
            try? FileManager.default.removeItem(atPath: folder + "/config.json")
            try FileManager.default.copyItem(atPath: path, toPath: folder + "/config.json")
            let encoder = try Wav2Vec2Encoder(folder: folder)
            _ = try encoder.encode(samples)
        }
        print("fuzz model-config: \(report.accepted) of \(report.inputs) accepted, \(report.errors.count) distinct errors")
        #expect(report.silentErrors == 0)
        #expect(report.messages(notMentioning: "config.json").filter { !$0.contains("model.safetensors") }.isEmpty,
                "every refusal names the file")
    }
}

/// Makes `path` a symbolic link to `destination`, replacing whatever is there (a link that
/// dangles too: `fileExists` does not see those, and creating over one fails).
private func relink(_ path: String, to destination: String) throws {
    if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == destination { return }
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
}
