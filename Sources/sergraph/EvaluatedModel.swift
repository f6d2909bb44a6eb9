import Foundation
import Neural
import SERGraph
import StageKit

/// A model folder `sergraph eval` measures: a student (model.json) or a teacher (a Hugging Face
/// `*ForSequenceClassification` checkpoint: config.json), with the chain of stages that runs it
/// on a file and writes its posteriors to `{stem}.posteriors.npy`.
struct EvaluatedModel {
    /// "student" or "teacher".
    let kind: String
    let labels: [String]
    let parameters: Int
    /// The folder's model files.
    let bytes: Int
    let chain: GraphSpec
    /// The chain in words, for the timing line.
    let chainSummary: String

    /// Reads `folder`: model.json makes it a student, else config.json a teacher.
    /// - Throws: the model's own load error, or one saying the folder is neither.
    init(folder: String) throws {
        func file(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func size(_ name: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: file(name))[.size] as? NSNumber)?.intValue ?? 0 }
        if FileManager.default.fileExists(atPath: file("model.json")) {
            let student = try StudentModel(folder: folder)
            kind = "student"
            labels = student.labels
            parameters = student.parameterCount
            bytes = student.bytesOnDisk
            chain = try Self.studentChain(student, folder: folder)
            chainSummary = "file → logmel → window → student"
        } else if FileManager.default.fileExists(atPath: file("config.json")) {
            let encoder = try Wav2Vec2Encoder(folder: folder)
            guard let head = encoder.head else {
                throw FolderError(path: folder, reason: "an encoder without a classification head (no projector.* / classifier.* tensors); eval needs a *ForSequenceClassification checkpoint")
            }
            let weights = try SafeTensorsFile(path: file("model.safetensors"))
            kind = "teacher"
            labels = head.labels
            parameters = weights.entries.values.reduce(0) { $0 + $1.shape.reduce(1, *) }
            bytes = size("config.json") + size("model.safetensors")
            chain = GraphSpec(file: ChainParser.file, stages: [
                generatedStage("source", "file-source", [("channel", "mix")], from: nil),
                generatedStage("resample", "resample", [("rate", "16000")], from: "source"),
                generatedStage("teacher", "wav2vec2-classifier", [("model", folder)], from: "resample"),
                generatedStage("posteriors", "npy-sink", [("path", "{stem}.posteriors.npy")], from: "teacher", port: "out"),
            ])
            chainSummary = "file → 16 kHz → wav2vec2-classifier, whole clips"
        } else {
            throw FolderError(path: folder, reason: "not a model folder: no model.json (a student) or config.json (a teacher)")
        }
    }

    /// file-source → resample → logmel → window → student → npy-sink, with the model's settings.
    private static func studentChain(_ student: StudentModel, folder: String) throws -> GraphSpec {
        guard case .number(let rate)? = student.features["sample_rate"], case .number(let hop)? = student.features["hop"] else {
            throw FolderError(path: folder + "/model.json", reason: "features needs sample_rate and hop")
        }
        let logmel = student.features.filter { !["kind", "sample_rate"].contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.description) }
        let window = [("length", (Double(student.windowFrames) * hop).formatted), ("hop", (Double(student.windowHopFrames) * hop).formatted),
                      ("tail", "end-aligned")]
        return GraphSpec(file: ChainParser.file, stages: [
            generatedStage("source", "file-source", [("channel", "mix")], from: nil),
            generatedStage("resample", "resample", [("rate", rate.formatted)], from: "source"),
            generatedStage("logmel", "logmel", logmel, from: "resample"),
            generatedStage("window", "window", window, from: "logmel"),
            generatedStage("student", "student", [("model", folder)], from: "window"),
            generatedStage("posteriors", "npy-sink", [("path", "{stem}.posteriors.npy")], from: "student", port: "out"),
        ])
    }
}

/// A folder that is not a model `eval` can run, naming it.
private struct FolderError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }
}
