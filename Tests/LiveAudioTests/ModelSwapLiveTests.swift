import ArrayFiles
import AudioFiles
import Foundation
import Neural
import Testing
import TestSupport

/// Hot model swap on a live graph: `sergraph run` on a real jackd (dummy driver) with speech
/// played in by a second client, the student swapped 20 times through `sergraph ctl` while it
/// listens. Every window the student received is answered, each by the model in force when it
/// arrived, exactly as that model answers it offline.
extension JackTests {
@Suite struct ModelSwapLiveTests {
    let model = packageRoot + "/models/student-default"

    @Test func twentySwapsWhileSpeechFlows() throws {
        let folder = try TemporaryFolder("swap-live")
        let second = folder.file("second")
        try studentVariant(of: model, at: second)
        try studentVariant(of: model, at: folder.file("wrong-shape"), ["--wrong-shape"])
        try studentVariant(of: model, at: folder.file("truncated"), ["--truncate"])
        let graph = folder.file("swap.yaml")
        try """
            chain:
              - jack-capture: {connect: "tester:out"}
              - resample: {rate: 16000, quality: medium}
              - logmel: {mels: 64, n-fft: 512, fmax: 8000}
              - window: {length: 1, hop: 0.1}
              - student: {model: \(model), batch: 1}
              - {type: npy-sink, from: student.out, path: posteriors.npy}
              - {type: smoother, from: student.out, alpha: 0.3}
              - {type: jsonl-sink, from: smoother.events, path: events.jsonl}
            stages:
              windows: {type: npy-sink, from: window, path: windows.npy}
            """.write(toFile: graph, atomically: true, encoding: .utf8)

        let server = try JackServer()
        let speech = folder.file("speech-48k.wav")
        try #require(runCommand("sox", [packageRoot + "/examples/hello-48k.flac", "-c", "1", speech]).status == 0)
        let reader = try AudioFileReader(path: speech)
        let samples = try reader.readAll()
        reader.close()
        let tester = try SignalClient(server: server.name, signal: .loop(samples), seconds: 120)
        defer { tester.close() }
        let socket = folder.file("run.sock")
        let run = try RunningCommand(sergraphExecutable, ["run", graph, "--server", server.name, "-o", folder.path, "--control", socket])
        run.wait(for: "running; Ctrl-C stops")

        /// The student's windows so far, by `ctl status`.
        func windowsOut() throws -> Int {
            let status = try ctl(socket, ["status"]).answer
            let stages = status?["stages"] as? [[String: Any]] ?? []
            return stages.first { $0["name"] as? String == "student" }?["rows_out"] as? Int ?? -1
        }
        func waitForWindows(beyond count: Int) throws {
            let deadline = Date().addingTimeInterval(20)
            while try windowsOut() <= count, Date() < deadline { usleep(20_000) }
        }
        try waitForWindows(beyond: 2)

        // Refusals leave the old model answering.
        let before = try ctl(socket, ["status"]).answer
        let hash = ((before?["stages"] as? [[String: Any]])?.first { $0["name"] as? String == "student" }?["model"] as? [String: Any])?["hash"] as? String
        #expect(hash != nil)
        let wrongShape = try ctl(socket, ["swap", "student", folder.file("wrong-shape")])
        #expect(wrongShape.status == 1 && wrongShape.stderr.contains("has shape [256, 128], expected [257, 128]; the old model keeps running"),
                "\(wrongShape.stderr)")
        let truncated = try ctl(socket, ["swap", "student", folder.file("truncated")])
        #expect(truncated.status == 1 && truncated.stderr.contains("truncated/model.safetensors"), "\(truncated.stderr)")
        let refusedAt = try windowsOut()
        try waitForWindows(beyond: refusedAt + 1)
        let after = try ctl(socket, ["status"]).answer
        let stillHash = ((after?["stages"] as? [[String: Any]])?.first { $0["name"] as? String == "student" }?["model"] as? [String: Any])?["hash"] as? String
        #expect(stillHash == hash)
        // Live parameters: the graph file's checks.
        #expect(try ctl(socket, ["set", "smoother", "alpha", "0.5"]).status == 0)
        let outOfRange = try ctl(socket, ["set", "smoother", "alpha", "3"])
        #expect(outOfRange.stderr == "error: stage 'smoother': parameter 'alpha' = 3 is out of range 0.001...1\n", "\(outOfRange.stderr)")
        let undeclared = try ctl(socket, ["set", "smoother", "windw", "3"])
        #expect(undeclared.stderr.contains("unknown parameter 'windw' for smoother (did you mean 'windows'?)"), "\(undeclared.stderr)")

        // Twenty swaps, each once the previous model has answered at least one window.
        var swaps: [(folder: String, windowsBefore: Int, milliseconds: Double)] = []
        for index in 0..<20 {
            let target = index % 2 == 0 ? second : model
            let answer = try ctl(socket, ["swap", "student", target])
            try #require(answer.status == 0, "\(answer.stderr)")
            let windows = try #require(answer.answer?["windows_before"] as? Int)
            swaps.append((target, windows, answer.answer?["milliseconds"] as? Double ?? .infinity))
            try waitForWindows(beyond: windows)
        }
        let final = try #require(try ctl(socket, ["status"]).answer)
        let (status, _, stderr) = run.interrupt()
        #expect(status == 0, "\(stderr)")
        #expect(final["dropped_windows"] as? Int == 0)
        #expect(final["windows_in"] as? Int == final["windows_out"] as? Int)
        #expect(stderr.contains(" 0 frames dropped"), "\(stderr)")

        // Windows in = windows out, and each window answered by the model in force, as offline.
        let windows = try NpyArray(path: folder.file("windows.npy"))
        let posteriors = try NpyArray(path: folder.file("posteriors.npy"))
        #expect(windows.rows == posteriors.rows && windows.rows > swaps.last!.windowsBefore)
        let networks = try [model: StudentNetwork(model: StudentModel(folder: model), capacity: 1),
                            second: StudentNetwork(model: StudentModel(folder: second), capacity: 1)]
        let labels = posteriors.columns
        var expected = [Float](repeating: 0, count: labels), embedding = [Float](repeating: 0, count: 256)
        var worst: Float = 0, mismatched: [Int] = []
        let boundaries = [(model, 0)] + swaps.map { ($0.folder, $0.windowsBefore) }
        for (index, (folderInForce, start)) in boundaries.enumerated() {
            let end = index + 1 < boundaries.count ? boundaries[index + 1].1 : windows.rows
            #expect(end > start, "swap \(index) took effect before a window of the previous model")
            for row in start..<min(end, windows.rows) {
                Array(windows[row: row]).withUnsafeBufferPointer {
                    networks[folderInForce]!.run($0.baseAddress!, count: 1, posteriors: &expected, embeddings: &embedding)
                }
                let difference = largestDifference(posteriors[row: row], expected)
                worst = max(worst, difference)
                if difference > 1e-5 { mismatched.append(row) }
            }
        }
        #expect(mismatched.isEmpty, "rows \(mismatched.prefix(10)) differ from their model offline (worst \(worst))")
        // The refused swaps reached the event sink as errors.
        let events = try jsonLines(folder.file("events.jsonl"))
        #expect(events.filter { $0["event"] as? String == "error" && $0["stage"] as? String == "student" }.count == 2)
        print("swap milliseconds (request to installed): max \(swaps.map(\.milliseconds).max() ?? 0)")
    }
}
}
