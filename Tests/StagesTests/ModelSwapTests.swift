import ArrayFiles
import Foundation
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Model swaps through the engine (`Pipeline.swapModel`, what `sergraph ctl swap` calls) while a
/// file flows through a graph, with real checkpoints: every window's output is what the model in
/// force at that window gives in an ordinary run, refused models leave the old one answering,
/// and other labels are taken only where every stage downstream takes them.
@Suite struct ModelSwapTests {
    let registry = StageRegistry(BuiltinStages.all())
    let encoders = packageRoot + "/Tests/Fixtures/wav2vec2"
    let classifiers = packageRoot + "/Tests/Fixtures/wav2vec2-classifier"
    let speech = packageRoot + "/Tests/Fixtures/speech-16k.wav"
    let student = packageRoot + "/models/student-default"
    let example = packageRoot + "/examples/hello-48k.flac"

    func pipeline(_ yaml: String, in folder: String) throws -> Pipeline {
        let graph = try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: yaml, file: "swap.yaml"))
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(outputDirectory: folder, stem: "out"), models: ModelRegistry())
        try pipeline.prepare()
        return pipeline
    }

    /// Runs `pipeline` on a thread of its own, a round of blocks every 20 ms until the swaps are
    /// done, asking for each swap in turn from this thread, each once the stage has emitted
    /// `apart` more windows.
    func run(_ pipeline: Pipeline, swapping swaps: [(stage: String, folder: String)], apart: Int = 3) throws -> [Result<SwapOutcome, Error>] {
        let begun = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        let state = RunState()
        Thread {
            state.result = Result {
                try pipeline.run {
                    state.rounds += 1
                    if state.rounds == 2 { begun.signal() }
                    if !state.swapsDone.withLock({ $0 }) { usleep(20_000) }
                    return false
                }
            }
            begun.signal()
            ended.signal()
        }.start()
        begun.wait()
        var outcomes: [Result<SwapOutcome, Error>] = []
        var windows = 0
        for swap in swaps {
            while try pipeline.status().stages.first(where: { $0.name == swap.stage })!.rowsOut < windows + apart { usleep(5_000) }
            windows = try pipeline.status().stages.first { $0.name == swap.stage }!.rowsOut
            outcomes.append(Result { try pipeline.swapModel(stage: swap.stage, to: swap.folder) })
        }
        state.swapsDone.withLock { $0 = true }
        ended.wait()
        _ = try state.result?.get()
        return outcomes
    }

    /// `outputs` (one row per window) against what each model gives in an ordinary run, the
    /// model in force changing after `windowsBefore` windows of each successful swap.
    func expectEachWindow(_ outputs: NpyArray, from first: String, swaps: [(folder: String, outcome: Result<SwapOutcome, Error>)],
                          reference: (String) throws -> NpyArray) throws {
        var boundaries = [(folder: first, from: 0)]
        for swap in swaps {
            if case .success(let outcome) = swap.outcome { boundaries.append((swap.folder, outcome.windowsBefore)) }
        }
        for (index, boundary) in boundaries.enumerated() {
            let until = index + 1 < boundaries.count ? boundaries[index + 1].from : outputs.rows
            #expect(boundary.from < until, "a model answered no window: \(boundaries.map(\.from)) of \(outputs.rows)")
            let expected = try reference(boundary.folder)
            #expect(expected.rows == outputs.rows && expected.columns == outputs.columns)
            let span = (boundary.from * outputs.columns)..<(until * outputs.columns)
            let comparison = ValueComparison(outputs.values[span], expected.values[span])
            #expect(comparison.isWithin(1e-5), "windows \(boundary.from)..<\(until) against \(boundary.folder): \(comparison)")
        }
    }

    /// The output of an ordinary run of `graph` with each model, run once per model in `folder`.
    func ordinaryRuns(of graph: @escaping (String) -> String, in folder: TemporaryFolder) -> (String) throws -> NpyArray {
        { model in
            let run = folder.file("reference-\((model as NSString).lastPathComponent)")
            if !FileManager.default.fileExists(atPath: run) { try self.pipeline(graph(model), in: run).run() }
            return try NpyArray(path: run + "/out.npy")
        }
    }

    func encoderGraph(_ model: String) -> String {
        """
        chain:
          - file-source: {path: \(speech), block: 400}
          - wav2vec2-encoder: {model: \(model), window: 0.5, hop: 0.1}
          - npy-sink: {path: "{stem}.npy"}
        """
    }

    /// A copy of `source` whose config.json declares another hidden size than its tensors have.
    func wrongShape(of source: String, at destination: String) throws {
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: destination + "/model.safetensors")
        let config = try String(contentsOfFile: source + "/config.json", encoding: .utf8)
        #expect(config.contains("\"hidden_size\": 48"))
        try config.replacingOccurrences(of: "\"hidden_size\": 48", with: "\"hidden_size\": 64")
            .write(toFile: destination + "/config.json", atomically: true, encoding: .utf8)
    }

    @Test func encoderSwapsBetweenCheckpointsWindowByWindow() throws {
        let folder = try TemporaryFolder("swap-encoder")
        let (base, large, hubert) = (encoders + "/base-tiny", encoders + "/large-tiny", encoders + "/hubert-tiny")
        try wrongShape(of: base, at: folder.file("wrong-shape"))
        let pipeline = try pipeline(encoderGraph(base), in: folder.file("live"))
        let swaps = [("wav2vec2-encoder", large), ("wav2vec2-encoder", folder.file("wrong-shape")), ("wav2vec2-encoder", hubert),
                     ("wav2vec2-encoder", base)]
        let outcomes = try run(pipeline, swapping: swaps)
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true, true])
        if case .failure(let error) = outcomes[1] {
            #expect("\(error)".contains("stage 'wav2vec2-encoder': model \(folder.file("wrong-shape")) refused:"), "\(error)")
            #expect("\(error)".hasSuffix("wrong-shape/model.safetensors: tensor 'feature_projection.projection.weight' has shape "
                                          + "[48, 32], expected [64, 32]; the old model keeps running"), "\(error)")
        }
        let windows = outcomes.compactMap { try? $0.get().windowsBefore }
        #expect(windows == windows.sorted() && Set(windows).count == windows.count, "\(windows)")
        let outputs = try NpyArray(path: folder.file("live/out.npy"))
        try expectEachWindow(outputs, from: base, swaps: zip(swaps.map(\.1), outcomes).map { ($0, $1) },
                             reference: ordinaryRuns(of: encoderGraph, in: folder))
    }

    @Test func classifierSwapsHeadsAndLayerSums() throws {
        let folder = try TemporaryFolder("swap-classifier")
        func graph(_ model: String) -> String {
            """
            chain:
              - file-source: {path: \(speech), block: 400}
              - wav2vec2-classifier: {model: \(model), window: 0.5, hop: 0.1}
              - {type: npy-sink, from: wav2vec2-classifier.out, path: "{stem}.npy"}
            """
        }
        // base-tiny reads the last state; hubert-tiny-weighted a learned sum of every layer.
        let (plain, weighted) = (classifiers + "/base-tiny", classifiers + "/hubert-tiny-weighted")
        let encoderOnly = encoders + "/base-tiny"
        let pipeline = try pipeline(graph(plain), in: folder.file("live"))
        let swaps = [("wav2vec2-classifier", weighted), ("wav2vec2-classifier", encoderOnly), ("wav2vec2-classifier", plain)]
        let outcomes = try run(pipeline, swapping: swaps)
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true])
        if case .failure(let error) = outcomes[1] {
            #expect("\(error)".contains("is an encoder without a classification head"), "\(error)")
        }
        try expectEachWindow(try NpyArray(path: folder.file("live/out.npy")), from: plain,
                             swaps: zip(swaps.map(\.1), outcomes).map { ($0, $1) }, reference: ordinaryRuns(of: graph, in: folder))
    }

    @Test func earlyExitSwapsFoldersAndChecksTheExitInForce() throws {
        let folder = try TemporaryFolder("swap-exits")
        func graph(_ model: String) -> String {
            """
            chain:
              - file-source: {path: \(speech), block: 400}
              - wav2vec2-early-exit: {model: \(model), window: 0.5, hop: 0.1, exit: 1}
              - {type: npy-sink, from: wav2vec2-early-exit.out, path: "{stem}.npy"}
            """
        }
        let exits = packageRoot + "/Tests/Fixtures/wav2vec2-exits"
        let (base, large) = (exits + "/base-tiny-exits", exits + "/large-tiny-exits")
        // The base folder with only its layer-3 exit declared: the graph's `exit: 1` does not fit it.
        let deepOnly = folder.file("deep-only")
        try FileManager.default.copyItem(atPath: base, toPath: deepOnly)
        let description = try String(contentsOfFile: deepOnly + "/exits.json", encoding: .utf8)
        let declaresOne = description.replacingOccurrences(of: #""exits": \[\s*1,\s*3\s*\]"#, with: #""exits": [3]"#,
                                                           options: .regularExpression)
        #expect(declaresOne != description)
        try declaresOne.write(toFile: deepOnly + "/exits.json", atomically: true, encoding: .utf8)

        let pipeline = try pipeline(graph(base), in: folder.file("live"))
        let swaps = [("wav2vec2-early-exit", large), ("wav2vec2-early-exit", deepOnly), ("wav2vec2-early-exit", encoders + "/base-tiny"),
                     ("wav2vec2-early-exit", base)]
        let outcomes = try run(pipeline, swapping: swaps)
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, false, true])
        if case .failure(let error) = outcomes[1] {
            #expect("\(error)".contains("exit '1' is not one of the model's exit layers 3, last, auto or budget"), "\(error)")
        }
        if case .failure(let error) = outcomes[2] { #expect("\(error)".contains("has no exits.json"), "\(error)") }
        try expectEachWindow(try NpyArray(path: folder.file("live/out.npy")), from: base,
                             swaps: zip(swaps.map(\.1), outcomes).map { ($0, $1) }, reference: ordinaryRuns(of: graph, in: folder))
    }

    @Test func wholeStreamEncoderRefusesASwap() throws {
        let folder = try TemporaryFolder("swap-whole")
        let pipeline = try pipeline("""
            chain:
              - file-source: {path: \(speech), block: 400}
              - wav2vec2-encoder: {model: \(encoders)/base-tiny}
              - npy-sink: {path: "{stem}.npy"}
            """, in: folder.path)
        let outcomes = try run(pipeline, swapping: [("wav2vec2-encoder", encoders + "/large-tiny")], apart: 0)
        #expect(throws: ControlError.self) { try outcomes[0].get() }
        if case .failure(let error) = outcomes[0] { #expect("\(error)".contains("window 0 encodes whole streams"), "\(error)") }
    }

    func studentGraph(_ model: String, posteriors: Bool) -> String {
        """
        chain:
          - file-source: {path: \(example), channel: mix, block: 1200}
          - resample: {rate: 16000}
          - logmel: {mels: 64, n-fft: 512, fmax: 8000}
          - window: {length: 1, hop: 0.1}
          - student: {model: \(model), batch: 1}
          - {type: smoother, from: student.out, every: true}
          - {type: jsonl-sink, from: smoother.events, path: "{stem}.jsonl"}
        """ + (posteriors ? "\nstages:\n  posteriors: {type: npy-sink, from: student.out, path: \"{stem}.npy\"}\n" : "")
    }

    /// A swap to a student over other labels (four renamed, one dropped): the smoother follows
    /// and the JSON lines sink takes its events, so it is installed; the smoother's decisions then
    /// name the new labels, its smoothing starting afresh from the new model's first window.
    @Test func otherLabelsAreTakenWhenEveryStageDownstreamTakesThem() throws {
        let folder = try TemporaryFolder("swap-labels")
        let relabelled = folder.file("relabelled")
        let newLabels = ["calm", "joy", "grief", "rage"]
        try studentVariant(of: student, at: relabelled, ["--labels", newLabels.joined(separator: ",")])
        let pipeline = try pipeline(studentGraph(student, posteriors: false), in: folder.file("live"))
        let outcome = try run(pipeline, swapping: [("student", relabelled)])[0].get()
        #expect(pipeline.formats[4][0].labels == newLabels && pipeline.formats[5][1].labels == newLabels)

        let decisions = try jsonLines(folder.file("live/out.jsonl")).filter { $0["event"] as? String == "decision" }
        let reference = try self.pipeline(studentGraph(relabelled, posteriors: true), in: folder.file("reference"))
        try reference.run()
        let posteriors = try NpyArray(path: folder.file("reference/out.npy"))
        #expect(decisions.count == posteriors.rows, "one decision per window, none lost or doubled")
        let oldLabels = ["neutral", "happy", "sad", "angry", "fearful"]
        let labels = decisions.map { $0["label"] as? String ?? "" }
        #expect(labels[..<outcome.windowsBefore].allSatisfy(oldLabels.contains), "\(labels)")
        #expect(labels[outcome.windowsBefore...].allSatisfy(newLabels.contains), "\(labels)")
        // The first window after the swap: no smoothing history, no old label to hold, so the
        // decision is the new model's most probable label with its probability.
        let first = Array(posteriors[row: outcome.windowsBefore])
        let best = first.indices.max { first[$0] < first[$1] }!
        #expect(labels[outcome.windowsBefore] == newLabels[best])
        #expect(abs((decisions[outcome.windowsBefore]["confidence"] as? Double ?? -1) - Double(first[best])) < 1e-5)
        let changed = try jsonLines(folder.file("live/out.jsonl")).filter { $0["event"] as? String == "changed" }
        #expect(changed.contains { oldLabels.contains($0["from"] as? String ?? "") && $0["to"] as? String == newLabels[best] },
                "the change of label set is a `changed` event from the old decision: \(changed)")
    }

    /// The same swap with a `.npy` file of the posteriors downstream (its columns fixed when it
    /// opened) is refused naming that stage; the old model keeps answering every window.
    @Test func otherLabelsAreRefusedNamingTheStageThatCannotTakeThem() throws {
        let folder = try TemporaryFolder("swap-labels-refused")
        let relabelled = folder.file("relabelled")
        try studentVariant(of: student, at: relabelled, ["--labels", "calm,joy,grief,rage"])
        let pipeline = try pipeline(studentGraph(student, posteriors: true), in: folder.file("live"))
        let outcome = try run(pipeline, swapping: [("student", relabelled)])[0]
        #expect(throws: ControlError.self) { try outcome.get() }
        if case .failure(let error) = outcome {
            #expect("\(error)" == "stage 'student': the new model gives labels (calm, joy, grief, rage) instead of (neutral, happy, sad, "
                    + "angry, fearful) on port 'out', and stage 'posteriors' (npy-sink) cannot take other labels while running; "
                    + "the old model keeps running")
        }
        let reference = try self.pipeline(studentGraph(student, posteriors: true), in: folder.file("reference"))
        try reference.run()
        let expected = try NpyArray(path: folder.file("reference/out.npy"))
        let comparison = ValueComparison(try NpyArray(path: folder.file("live/out.npy")).values, expected.values)
        #expect(comparison.isWithin(1e-6), "\(comparison)")
    }
}

/// What the thread running a pipeline shares with the test thread.
private final class RunState: @unchecked Sendable {
    var rounds = 0
    var result: Result<RunStatistics, Error>?
    let swapsDone = Locked(false)
}

/// A value behind a lock.
private final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
