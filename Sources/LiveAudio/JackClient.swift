import CJack
import Foundation

/// One client of a JACK server: opening, ports, connections and the server's clock. Everything
/// here runs on ordinary threads; what runs on JACK's real-time thread is in `ProcessCallback.swift`.
public final class JackClient: @unchecked Sendable {
    let handle: OpaquePointer
    /// The name the server gave the client (the one asked for, unless it was taken).
    public let name: String
    /// The server's sample rate.
    public let sampleRate: Double
    /// Frames per period.
    public let periodFrames: Int
    private var closed = false

    /// Joins the server `server` (nil: the default one) as `name`, without starting a server.
    /// - Throws: `JackError.serverNotRunning` with how to start one, or `.refused`.
    public init(name: String, server: String?) throws {
        Self.silenceLibraryMessages
        var status = JackStatus(rawValue: 0)
        let options = JackOptions(rawValue: JackNoStartServer.rawValue)
        let opened = Self.libraryLock.withLock { sergraph_jack_client_open(name, options, &status, server) }
        guard let handle = opened else {
            if status.rawValue & JackServerFailed.rawValue != 0 || status.rawValue & JackServerError.rawValue == 0 {
                throw JackError.serverNotRunning(server: server)
            }
            throw JackError.refused(client: name, status: status.rawValue)
        }
        self.handle = handle
        self.name = String(cString: jack_get_client_name(handle))
        sampleRate = Double(jack_get_sample_rate(handle))
        periodFrames = Int(jack_get_buffer_size(handle))
    }

    deinit { close() }

    /// libjack's client opening and closing share process-wide state and must not overlap.
    static let libraryLock = NSLock()

    /// libjack prints to standard error when no server answers; sergraph says it better.
    private static let silenceLibraryMessages: Void = {
        jack_set_error_function { _ in }
        jack_set_info_function { _ in }
    }()

    /// Registers an audio port of this client.
    /// - Returns: the port handle.
    func registerPort(_ shortName: String, isInput: Bool) throws -> OpaquePointer {
        let flags = UInt(isInput ? JackPortIsInput.rawValue : JackPortIsOutput.rawValue)
        guard let port = jack_port_register(handle, shortName, JACK_DEFAULT_AUDIO_TYPE, flags, 0) else {
            throw JackError.portRegistration(port: "\(name):\(shortName)")
        }
        return port
    }

    /// The full name ("client:port") of one of this client's ports.
    func fullName(of port: OpaquePointer) -> String {
        String(cString: jack_port_name(port))
    }

    /// Audio ports on the server whose full names match the regular expression `pattern`,
    /// in the server's order.
    /// - Parameter outputs: true for ports that produce audio (capture sources), false for ports that take it.
    public func ports(matching pattern: String, outputs: Bool) -> [String] {
        let flags = UInt(outputs ? JackPortIsOutput.rawValue : JackPortIsInput.rawValue)
        return Self.names(jack_get_ports(handle, pattern, JACK_DEFAULT_AUDIO_TYPE, flags))
    }

    /// The ports connected to the port called `fullName`.
    public func connections(of fullName: String) -> [String] {
        guard let port = jack_port_by_name(handle, fullName) else { return [] }
        return Self.names(jack_port_get_all_connections(handle, port))
    }

    /// The strings of a NULL-terminated list that libjack allocated, which is then freed.
    private static func names(_ list: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        defer { jack_free(list) }
        var names: [String] = []
        var index = 0
        while let entry = list[index] {
            names.append(String(cString: entry))
            index += 1
        }
        return names
    }

    /// Connects the output port `source` to the input port `destination` (full names).
    public func connect(_ source: String, to destination: String) throws {
        let code = jack_connect(handle, source, destination)
        guard code == 0 || code == EEXIST else { throw JackError.connection(from: source, to: destination, code: code) }
    }

    /// The server's current frame time (any thread).
    public var frameTime: UInt32 { jack_frame_time(handle) }

    /// Lets go of a client whose server has died without calling into libjack, which can
    /// deadlock closing such a client (seen with jackd 1.9.21 when the server was stopped).
    func abandon() {
        closed = true
    }

    /// Leaves the server: stops the callback and unregisters every port. Safe to call twice.
    public func close() {
        guard !closed else { return }
        closed = true
        Self.libraryLock.withLock {
            jack_deactivate(handle)
            _ = jack_client_close(handle)
        }
    }
}
