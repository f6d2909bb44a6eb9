import AudioFiles
import Foundation
import Testing
import TestSupport

/// graphs/emotion-live.yaml under `sergraph run` on a real jackd (dummy driver), with speech
/// played into it by a second client: decisions come out on standard output, as they happen.
extension JackTests {
@Suite struct EmotionLiveTests {
    @Test func decisionsComeOutOfLiveSpeech() throws {
        let folder = try TemporaryFolder("emotion-live")
        // The graph as committed, with the bundled model, listening to the tester rather than the
        // (silent) dummy capture.
        try FileManager.default.createDirectory(atPath: folder.file("graphs"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("models"), withDestinationPath: packageRoot + "/models")
        let text = try String(contentsOfFile: packageRoot + "/graphs/emotion-live.yaml", encoding: .utf8)
        let adapted = text.replacingOccurrences(of: "connect: \"system:capture_1\"", with: "connect: \"tester:out\"")
        #expect(adapted.contains("tester:out"))
        let graph = folder.file("graphs/emotion-live.yaml")
        try adapted.write(toFile: graph, atomically: true, encoding: .utf8)

        let server = try JackServer()
        let speech = folder.file("speech-48k.wav")
        try #require(runCommand("sox", [packageRoot + "/examples/hello-48k.flac", "-c", "1", speech]).status == 0)
        let reader = try AudioFileReader(path: speech)
        let samples = try reader.readAll()
        reader.close()
        let tester = try SignalClient(server: server.name, signal: .loop(samples))
        defer { tester.close() }
        let result = try runCommand(sergraphExecutable, ["run", graph, "--server", server.name, "-o", folder.path, "--duration", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("sergraph:in_1 ← tester:out"), "\(result.stderr)")
        let events = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let decisions = events.filter { $0["event"] as? String == "decision" }
        // 4 windows a second once the first second has arrived: about 12 in 4 s.
        #expect(decisions.count >= 8, "\(decisions.count) decisions: \(result.stdout.prefix(400))")
        let labels: Set<String> = ["neutral", "happy", "sad", "angry", "fearful"]
        #expect(decisions.allSatisfy { labels.contains($0["label"] as? String ?? "") })
        let times = decisions.compactMap { $0["time"] as? Double }
        #expect(times == times.sorted() && Set(times).count == times.count)
        // Decisions stand for their 1 s window: the delay counts from its last sample, and is the
        // resampler's and the frames' lag plus the worker's, far less than a window.
        let marker = "event delay after the audio that caused it: p50 "
        let after = result.stderr.range(of: marker).map { result.stderr[$0.upperBound...] }
        let median = try #require(after.flatMap { Double($0.prefix { $0.isNumber || $0 == "." }) }, "\(result.stderr)")
        #expect(median < 150, "\(result.stderr)")
    }
}
}
