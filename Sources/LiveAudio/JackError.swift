/// What can go wrong between sergraph and a JACK server, worded for the person at the console.
public enum JackError: Error, Sendable, CustomStringConvertible {
    /// No server answered.
    case serverNotRunning(server: String?)
    /// The server refused the client (name taken, version mismatch, ...).
    case refused(client: String, status: UInt32)
    /// A port could not be registered.
    case portRegistration(port: String)
    /// Two ports could not be connected.
    case connection(from: String, to: String, code: Int32)
    /// The client could not be activated.
    case activation(code: Int32)
    /// The server's rate or period changed across a reconnection.
    case formatChanged(String)

    public var description: String {
        switch self {
        case .serverNotRunning(let server):
            let flag = server.map { " -n \($0)" } ?? ""
            return """
                no JACK server\(server.map { " named '\($0)'" } ?? "") is running. Start one first, for example \
                `jackd\(flag) -d alsa -r 48000 -p 256 &` with a sound card, or `jackd\(flag) -d dummy -r 48000 -p 128 &` \
                without one\(server == nil ? ", or name another with --server" : "")
                """
        case .refused(let client, let status):
            var reasons: [String] = []
            if status & 0x20 != 0 { reasons.append("the server reported an error") }
            if status & 0x04 != 0 || status & 0x08 != 0 { reasons.append("the name '\(client)' is taken (choose another with --client-name)") }
            if status & 0x400 != 0 { reasons.append("the server speaks another protocol version") }
            return "the JACK server refused client '\(client)' (status 0x\(String(status, radix: 16)))"
                + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))
        case .portRegistration(let port):
            return "cannot register JACK port '\(port)' (name taken, or too many ports)"
        case .connection(let from, let to, let code):
            return "cannot connect JACK port '\(from)' to '\(to)' (error \(code)); `jack_lsp` lists the ports"
        case .activation(let code):
            return "cannot activate the JACK client (error \(code))"
        case .formatChanged(let change):
            return "the JACK server came back with \(change); restart the graph"
        }
    }
}
