import Foundation
import StageKit
#if canImport(Glibc)
import Glibc
#endif

/// The control plane's transport: a Unix domain socket carrying one JSON object per line each
/// way. A request is `{"command": "status" | "swap" | "set", ...}`; the answer is
/// `{"ok": true, ...}` or `{"ok": false, "error": "..."}` (see README, "Controlling a running graph").
public enum ControlSocket {
    /// The socket a run on JACK server `server` (nil: the default one) as client `client` uses
    /// unless told otherwise: `$XDG_RUNTIME_DIR/sergraph/SERVER.CLIENT.sock`, or
    /// `/tmp/sergraph-UID/SERVER.CLIENT.sock`.
    public static func defaultPath(server: String?, client: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let folder = environment["XDG_RUNTIME_DIR"].map { $0 + "/sergraph" } ?? "/tmp/sergraph-\(getuid())"
        return folder + "/\(server ?? "default").\(client).sock"
    }

    /// Connects to the socket at `path`.
    /// - Returns: the connected descriptor, or nil when nothing listens there.
    static func connect(_ path: String) -> Int32? {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        let connected = withAddress(path) { Glibc.connect(descriptor, $0, $1) } == 0
        if !connected { Glibc.close(descriptor) }
        return connected ? descriptor : nil
    }

    /// Calls `body` with `path` as a socket address; -1 if the path is too long.
    static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Sends `request` to the run listening at `path` and returns its answer.
    /// - Throws: `ControlError` when nothing listens there or the answer is not JSON.
    public static func send(_ request: [String: Any], to path: String) throws -> [String: Any] {
        guard let descriptor = connect(path) else {
            throw ControlError("no running sergraph graph listens on \(path) (start one with `sergraph run GRAPH`, "
                               + "or name its socket with --control PATH)")
        }
        defer { Glibc.close(descriptor) }
        let line = try JSONSerialization.data(withJSONObject: request) + Data("\n".utf8)
        guard writeAll(descriptor, line) else { throw ControlError("\(path): the run closed the connection") }
        guard let answer = readLine(descriptor),
              let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] else {
            throw ControlError("\(path): the run closed the connection without an answer")
        }
        return object
    }

    static func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// Reads up to a newline (not included); nil at the end of the stream before one.
    static func readLine(_ descriptor: Int32) -> Data? {
        var line = Data()
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
            if line.count > 1 << 20 { return nil }
        }
    }
}

/// A run's listening control socket: each connection's requests are answered in turn, on a
/// thread of its own, by `handle`.
public final class ControlServer: @unchecked Sendable {
    /// Where it listens.
    public let path: String
    private let descriptor: Int32
    private let handle: @Sendable ([String: Any]) -> [String: Any]

    /// Listens on `path` (mode 0600; its folder is made with mode 0700). A socket file left by
    /// a run that has ended is replaced.
    /// - Throws: `ControlError` when another run listens there, or the socket cannot be made.
    public init(path: String, handle: @escaping @Sendable ([String: Any]) -> [String: Any]) throws {
        self.path = path
        self.handle = handle
        let folder = parentFolder(of: path)
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw ControlError("control socket \(path): cannot make its folder: \(error.localizedDescription)")
            }
        }
        if FileManager.default.fileExists(atPath: path) {
            if let live = ControlSocket.connect(path) {
                Glibc.close(live)
                throw ControlError("control socket \(path) belongs to another running sergraph; give this one --control PATH "
                                   + "(or another --client-name)")
            }
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw ControlError("control socket \(path): a file that is not a socket is in the way")
            }
            unlink(path)
        }
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ControlError("control socket \(path): \(String(cString: strerror(errno)))") }
        let previous = umask(0o177)
        let bound = ControlSocket.withAddress(path) { bind(descriptor, $0, $1) }
        umask(previous)
        guard bound == 0, chmod(path, 0o600) == 0, listen(descriptor, 8) == 0 else {
            let reason = bound == -1 && path.utf8.count >= 108 ? "the path is too long for a socket" : String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw ControlError("control socket \(path): \(reason)")
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops listening and removes the socket file.
    public func close() {
        unlink(path)
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(descriptor, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread { [self] in serve(connection) }.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { Glibc.close(connection) }
        while let line = ControlSocket.readLine(connection) {
            let answer: [String: Any]
            if let request = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] {
                answer = handle(request)
            } else {
                answer = ["ok": false, "error": "a request is one JSON object per line"]
            }
            guard let data = try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys]),
                  ControlSocket.writeAll(connection, data + Data("\n".utf8)) else { return }
        }
    }
}
