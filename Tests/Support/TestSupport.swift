import Foundation

/// A folder under the system's temporary folder, removed when the value is released.
public final class TemporaryFolder {
    public let path: String

    public init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sergraph-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `name` inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// What a finished command printed and returned.
public struct CommandResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` (a path, or a name looked up on PATH) with `arguments` and waits for it.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> CommandResult {
    try runCommandWithEnvironment([:], executable, arguments, in: directory)
}

/// Runs `executable` as `runCommand` does, with `environment` added to this process's.
@discardableResult
public func runCommandWithEnvironment(_ environment: [String: String], _ executable: String, _ arguments: [String],
                                      in directory: String? = nil) throws -> CommandResult {
    let process = Process()
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
    process.arguments = executable.contains("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while the command runs, so a full pipe cannot block it.
    let errors = PipeReader(err)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errors.wait(), as: UTF8.self))
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ pipe: Pipe) {
        Thread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// The repository's root folder.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The `sergraph` executable built beside the test bundle.
public let sergraphExecutable: String = {
    let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
    return testBinary.deletingLastPathComponent().appendingPathComponent("sergraph").path
}()

/// `seconds` of a sine wave at `frequency` Hz, `amplitude` peak, sampled at `rate`.
public func sine(frequency: Double, rate: Double, seconds: Double, amplitude: Double = 0.5, phase: Double = 0) -> [Float] {
    let count = Int((seconds * rate).rounded())
    return (0..<count).map { Float(amplitude * sin(2 * .pi * frequency * Double($0) / rate + phase)) }
}

/// Root mean square of `samples`.
public func rms<C: Collection>(_ samples: C) -> Double where C.Element == Float {
    (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))).squareRoot()
}

/// Amplitude of the component at `frequency` Hz (Goertzel over the whole of `samples`).
public func amplitude(of frequency: Double, in samples: [Float], rate: Double) -> Double {
    var real = 0.0, imaginary = 0.0
    for (index, sample) in samples.enumerated() {
        let angle = 2 * .pi * frequency * Double(index) / rate
        real += Double(sample) * cos(angle)
        imaginary -= Double(sample) * sin(angle)
    }
    return 2 * (real * real + imaginary * imaginary).squareRoot() / Double(samples.count)
}

/// 20·log10 of an amplitude ratio.
public func decibels(_ ratio: Double) -> Double { 20 * log10(ratio) }

/// A command running in the background whose output can be waited for while it runs.
public final class RunningCommand: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    public init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.out.append(data) }
        }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.err.append(data) }
        }
        try process.run()
    }

    /// Its process id (to send it signals).
    public var pid: Int32 { process.processIdentifier }

    /// What it has printed so far.
    public var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    public var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until standard output or error contains `text`, or the command ends, or `seconds` pass.
    public func wait(for text: String, seconds: Double = 15) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline, !(stdout.contains(text) || stderr.contains(text)) { usleep(10_000) }
    }

    /// Sends SIGINT and waits for the command to end.
    public func interrupt(within seconds: Double = 10) -> (status: Int32, stdout: String, stderr: String) {
        stop(with: SIGINT, within: seconds)
    }

    /// Sends `signal` and waits for the command to end.
    public func stop(with signal: Int32, within seconds: Double = 10) -> (status: Int32, stdout: String, stderr: String) {
        kill(process.processIdentifier, signal)
        return finish(within: seconds)
    }

    /// Sends SIGTERM and waits for the command to end (killing it after half a second).
    public func terminate() -> (status: Int32, stdout: String, stderr: String) {
        kill(process.processIdentifier, SIGTERM)
        return finish(within: 0.5, grace: 0.5)
    }

    /// Waits for the command to end (terminating it after `seconds`, killing it `grace` later).
    public func finish(within seconds: Double = 10, grace: Double = 3) -> (status: Int32, stdout: String, stderr: String) {
        var deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        usleep(50_000)  // let the readers take the last output
        return (process.terminationStatus, stdout, stderr)
    }
}

/// The objects of a JSON lines file, one per line.
/// - Throws: if the file cannot be read or a line is not a JSON object.
public func jsonLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw JSONLinesError(description: "\(path): not a JSON object: \(line)")
        }
        return object
    }
}

/// A JSON lines file with a line that is not an object.
public struct JSONLinesError: Error, CustomStringConvertible {
    public var description: String
}

/// `sergraph ctl ARGUMENTS --control SOCKET`: its status, the answer it printed (nil unless JSON) and its error output.
public func ctl(_ socket: String, _ arguments: [String]) throws -> (status: Int32, answer: [String: Any]?, stderr: String) {
    let result = try runCommand(sergraphExecutable, ["ctl"] + arguments + ["--control", socket])
    let answer = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
    return (result.status, answer, result.stderr)
}

/// A second student model from `source` by scripts/student-variant (same labels and shapes,
/// other posteriors unless `options` break it: --wrong-shape, --truncate).
public func studentVariant(of source: String, at destination: String, _ options: [String] = []) throws {
    let result = try runCommand("/usr/bin/env", ["python3", packageRoot + "/scripts/student-variant", source, destination] + options)
    guard result.status == 0 else { throw JSONLinesError(description: "student-variant failed: \(result.stderr)") }
}
