import Foundation
import Testing
import TestSupport

/// Offline commands never join JACK: the JACK session is a service only `sergraph run` offers
/// its stages, so `sergraph process` makes none, even for a graph with JACK ports.
@Suite struct OfflineWithoutJackTests {
    let example = packageRoot + "/examples/hello-48k.flac"
    /// A server name no test starts, with libjack allowed to start servers: a session that tried
    /// to join would fail naming it, or start a jackd of that name.
    let environment = ["JACK_DEFAULT_SERVER": "sergraph-never-started-\(getpid())", "JACK_NO_START_SERVER": ""]

    /// Processes whose command line names the server, i.e. a jackd that something started.
    private func serversStarted() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let line = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: " ")
            return line.contains(environment["JACK_DEFAULT_SERVER"]!) ? line : nil
        }
    }

    @Test func processOfAGraphWithJackPortsIsRefusedWithoutJoiningJack() throws {
        let folder = try TemporaryFolder("offline-jack")
        let result = try runCommandWithEnvironment(environment, sergraphExecutable,
                                                   ["process", "file-source ! jack-playback", example, "-o", folder.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("stage 'jack-playback'") && result.stderr.contains(
            "jack-playback joins a JACK server, which only a live run offers: run the graph with `sergraph run`"), "\(result.stderr)")
        #expect(!result.stderr.contains("no JACK server"), "process tried to join JACK: \(result.stderr)")
        #expect(try serversStarted().isEmpty)
    }

    @Test func processOfAFileGraphNeverTouchesJack() throws {
        let folder = try TemporaryFolder("offline-nojack")
        let result = try runCommandWithEnvironment(environment, sergraphExecutable,
                                                   ["process", "file-source ! level ! jsonl-sink path={stem}.jsonl", example,
                                                    "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try !jsonLines(folder.file("hello-48k.jsonl")).isEmpty)
        #expect(!result.stderr.contains("JACK"), "\(result.stderr)")
        #expect(try serversStarted().isEmpty)
    }
}
