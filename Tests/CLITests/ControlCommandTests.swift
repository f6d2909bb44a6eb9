import ArrayFiles
import Foundation
import Testing
import TestSupport

/// `sergraph ctl` against `sergraph process --control`: model swaps at a file boundary, refused
/// models and parameters, and the socket's ownership.
@Suite struct ControlCommandTests {
    let model = packageRoot + "/models/student-default"
    let example = packageRoot + "/examples/hello-48k.flac"

    private func graph(in folder: TemporaryFolder, smoothing: String = "alpha: 0.3") throws -> String {
        let path = folder.file("g.yaml")
        try """
            chain:
              - file-source: {channel: mix}
              - resample: {rate: 16000}
              - logmel: {mels: 64, n-fft: 512, fmax: 8000}
              - window: {length: 1, hop: 0.25}
              - student: {model: \(model)}
              - {type: smoother, from: student.out, \(smoothing)}
              - {type: jsonl-sink, from: smoother.events, path: "{stem}.jsonl"}
            stages:
              posteriors: {type: npy-sink, from: student.out, path: "{stem}.post.npy"}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The posteriors `model` gives for the example, by an ordinary run.
    private func reference(_ graph: String, model other: String, in folder: TemporaryFolder, name: String) throws -> NpyArray {
        let text = try String(contentsOfFile: graph, encoding: .utf8).replacingOccurrences(of: model, with: other)
        let path = folder.file(name + ".yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["process", path, example, "-o", folder.file(name)])
        #expect(result.status == 0, "\(result.stderr)")
        return try NpyArray(path: folder.file(name + "/hello-48k.post.npy"))
    }

    @Test func ctlWithoutARunningGraphSaysSo() throws {
        let folder = try TemporaryFolder("ctl-nothing")
        let socket = folder.file("none.sock")
        let result = try ctl(socket, ["status"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: no running sergraph graph listens on \(socket)"), "\(result.stderr)")
    }

    @Test func processSwitchesModelsAtAFileBoundary() throws {
        let folder = try TemporaryFolder("ctl-process")
        let second = folder.file("second")
        try studentVariant(of: model, at: second)
        try studentVariant(of: model, at: folder.file("wrong-shape"), ["--wrong-shape"])
        try studentVariant(of: model, at: folder.file("truncated"), ["--truncate"])
        let graph = try graph(in: folder)
        let first = try reference(graph, model: model, in: folder, name: "reference-first")
        let other = try reference(graph, model: second, in: folder, name: "reference-second")
        #expect(largestDifference(first.values, other.values) > 0.01, "the variant must answer differently")

        let inputs = folder.file("inputs")
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        for index in 1...10 { try FileManager.default.copyItem(atPath: example, toPath: inputs + String(format: "/clip-%02d.flac", index)) }
        let socket = folder.file("control/process.sock")
        let run = try RunningCommand(sergraphExecutable, ["process", graph, inputs, "-o", folder.file("out"), "-j", "1", "--control", socket])
        run.wait(for: "[1/10]")
        // Broken models and parameters are refused with what a graph file would be told; the run goes on.
        let wrongShape = try ctl(socket, ["swap", "student", folder.file("wrong-shape")])
        #expect(wrongShape.status == 1)
        #expect(wrongShape.stderr.contains("tensor 'embedding.weight' has shape [256, 128], expected [257, 128]; the inputs keep the model they had"),
                "\(wrongShape.stderr)")
        let truncated = try ctl(socket, ["swap", "student", folder.file("truncated")])
        #expect(truncated.status == 1 && truncated.stderr.contains("truncated/model.safetensors"), "\(truncated.stderr)")
        for (parameter, value) in [("alpha", "3"), ("alpa", "0.5")] {
            let refused = try ctl(socket, ["set", "smoother", parameter, value])
            let fromFile = try runCommand(sergraphExecutable, ["validate", try self.graph(in: folder, smoothing: "\(parameter): \(value)")])
            let message = fromFile.stderr.components(separatedBy: "stage 'smoother': ").last ?? "?"
            #expect(refused.status == 1 && refused.stderr == "error: stage 'smoother': " + message, "\(refused.stderr) vs \(fromFile.stderr)")
        }
        let fixed = try ctl(socket, ["set", "smoother", "method", "median"])
        #expect(fixed.stderr.contains("parameter 'method' of smoother cannot change while the stage runs; live: alpha, margin, dwell"))
        // Waits until the first input is done, then swaps: inputs that start later use the second model.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try ctl(socket, ["status"]).answer?["inputs_ended"] as? Int ?? 0) < 1 { usleep(20_000) }
        let swap = try ctl(socket, ["swap", "student", second])
        #expect(swap.status == 0, "\(swap.stderr)")
        #expect(swap.answer?["applies_from"] as? String == "the next input to start")
        let finished = run.finish(within: 120)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket goes with the run")

        let which = try (1...10).map { index -> String in
            let posteriors = try NpyArray(path: folder.file(String(format: "out/clip-%02d.post.npy", index)))
            if largestDifference(posteriors.values, first.values) <= 1e-5 { return "first" }
            if largestDifference(posteriors.values, other.values) <= 1e-5 { return "second" }
            return "neither"
        }
        let switchAt = which.firstIndex(of: "second") ?? which.count
        #expect(switchAt >= 1 && switchAt < which.count, "\(which)")
        #expect(which == Array(repeating: "first", count: switchAt) + Array(repeating: "second", count: which.count - switchAt), "\(which)")
    }

    @Test func aSocketInUseIsRefusedAndAStaleOneReplaced() throws {
        let folder = try TemporaryFolder("ctl-socket")
        let graph = try graph(in: folder)
        let socket = folder.file("run.sock")
        let inputs = folder.file("inputs")
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        for index in 1...6 { try FileManager.default.copyItem(atPath: example, toPath: inputs + "/clip-\(index).flac") }
        // A socket file nobody listens on any more (its owner has gone) is replaced.
        let stale = try runCommand("/usr/bin/env", ["python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", socket])
        #expect(stale.status == 0 && FileManager.default.fileExists(atPath: socket))
        let run = try RunningCommand(sergraphExecutable, ["process", graph, inputs, "-o", folder.file("out"), "-j", "1", "--control", socket])
        run.wait(for: "[1/6]")
        #expect(try ctl(socket, ["status"]).status == 0)
        var mode = stat()
        #expect(stat(socket, &mode) == 0 && mode.st_mode & 0o777 == 0o600)
        let second = try runCommand(sergraphExecutable, ["process", graph, inputs, "-o", folder.file("out-2"), "--control", socket])
        #expect(second.status == 2)
        #expect(second.stderr.contains("control socket \(socket) belongs to another running sergraph"), "\(second.stderr)")
        #expect(run.finish(within: 120).status == 0)
    }
}
