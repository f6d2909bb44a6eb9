import Foundation
import TestSupport

/// JACK's own pass-through example client (`jack_thru`, shipped with jackd2) as a reference on
/// the server a live test runs on: it copies its inputs to its outputs as sergraph's process
/// callback does, so whatever makes it late in a run is the machine's doing, not sergraph's.
///
/// JACK counts an xrun for the whole server, and tells every client of it; the server's log
/// says which client, if any, was late ("JackEngine::XRun: client = NAME was not finished").
/// A live test compares sergraph's share of those with the reference's over the same interval.
final class ReferenceClient {
    static let name = "reference"
    private let process = Process()
    private let server: JackServer

    /// Starts `jack_thru` on `server` (it connects itself to the system ports) and, when given,
    /// mirrors sergraph's connections: `source` → its input, its output → `sink`.
    init(server: JackServer, source: String? = nil, sink: String? = nil) throws {
        self.server = server
        process.executableURL = URL(fileURLWithPath: "/usr/bin/jack_thru")
        process.arguments = [Self.name, server.name]
        process.environment = ProcessInfo.processInfo.environment.merging(["JACK_DEFAULT_SERVER": server.name]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !(try server.portNames()).contains("\(Self.name):output_1") {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw JackServer.ServerError(description: "jack_thru did not join \(server.name)")
            }
            usleep(20_000)
        }
        for (from, to) in [(source, "\(Self.name):input_1"), (Self.name + ":output_1", sink)] {
            guard let from, let to else { continue }
            let result = try runCommand("jack_connect", ["-s", server.name, from, to])
            guard result.status == 0 else {
                stop()
                throw JackServer.ServerError(description: "jack_connect \(from) \(to): \(result.stderr)")
            }
        }
    }

    /// Leaves the server. SIGKILL, because the client inherits this process's blocked signals
    /// (the test threads block SIGTERM and SIGINT), and the server drops a killed client cleanly.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The xruns a server's log attributes to each client between two points of the log.
struct LateCycles: CustomStringConvertible {
    /// Cycles each client did not finish in time, by client name.
    var byClient: [String: Int]
    /// Xruns of the driver itself (its timer woke late), which no client caused.
    var driver: Int

    /// Reads what the server logged since `mark` (a length of its log).
    init(server: JackServer, since mark: Int) {
        let log = (try? Data(contentsOf: URL(fileURLWithPath: server.log))) ?? Data()
        self.init(log: String(decoding: log.dropFirst(mark), as: UTF8.self))
    }

    /// Reads a server's log `text`.
    init(log text: String) {
        var byClient: [String: Int] = [:]
        var driver = 0
        for line in text.split(separator: "\n") {
            if line.contains("JackTimedDriver::Process XRun") { driver += 1 }
            for pattern in [#/JackEngine::XRun: client = (.+) was not finished/#, #/JackEngine::XRun: client (.+) finished after current callback/#] {
                if let match = line.firstMatch(of: pattern) { byClient[String(match.1), default: 0] += 1 }
            }
        }
        self.byClient = byClient
        self.driver = driver
    }

    subscript(client: String) -> Int { byClient[client] ?? 0 }

    var description: String {
        (byClient.sorted { $0.key < $1.key }.map { "\($0.key) late \($0.value)" } + ["driver \(driver)"]).joined(separator: ", ")
    }
}

extension JackServer {
    /// The length of the server's log so far: a mark for `LateCycles`.
    var logMark: Int {
        ((try? FileManager.default.attributesOfItem(atPath: log)[.size]) as? NSNumber)?.intValue ?? 0
    }
}
