import CJack
import Foundation
import Testing
import TestSupport

/// Every test that talks to a JACK server, one at a time: libjack's client opening and closing
/// are not safe to overlap within one process, and fewer servers at once keep the small test
/// machine's timing steady.
@Suite(.serialized) enum JackTests {}

/// A real jackd on the dummy driver (no sound card), under a name of its own so that tests never
/// touch a user's server; stopped when released. The tests run one server at a time under one
/// name: JACK keeps a slot per server name in a small shared-memory registry, and a name that
/// comes back reclaims its slot where a new name each time would use them up.
final class JackServer {
    let name: String
    let period: Int
    let rate: Int
    private let process = Process()
    let log: String

    convenience init(period: Int = 128, rate: Int = 48000) throws {
        try self.init(name: "sergraph-test", period: period, rate: rate)
    }

    private init(name: String, period: Int, rate: Int) throws {
        self.name = name
        self.rate = rate
        self.period = period
        log = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).log").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/jackd")
        process.arguments = ["-n", name, "-d", "dummy", "-r", "\(rate)", "-p", "\(period)"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = process.standardOutput
        try process.run()
        try waitUntilReady()
    }

    /// Polls until a client can join (about 0.1 s after start).
    private func waitUntilReady() throws {
        for _ in 0..<500 {
            var status = JackStatus(rawValue: 0)
            if let probe = sergraph_jack_client_open("probe", JackOptions(rawValue: JackNoStartServer.rawValue), &status, name) {
                jack_client_close(probe)
                return
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        throw ServerError(description: "jackd did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// Stops the server and waits until it has exited.
    func stop(hard: Bool = false) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, hard ? SIGKILL : SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A new server under the same name (after this one has stopped).
    func restarted() throws -> JackServer {
        try JackServer(name: name, period: period, rate: rate)
    }

    /// Ports on the server, by `jack_lsp`.
    func portNames() throws -> [String] {
        try runCommand("jack_lsp", ["-s", name]).stdout.split(separator: "\n").map(String.init)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: log)
    }

    struct ServerError: Error, CustomStringConvertible { var description: String }
}
