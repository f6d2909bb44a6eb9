import CLiblo
import Foundation
import StageKit

/// Sends decisions over OSC (UDP, through liblo): one message per event, or per posterior row
/// with the winning label and every class's probability.
public final class OSCSink: Stage {
    public static let host = Parameter<String>("host", default: "127.0.0.1", doc: "receiver's host name or address")
    public static let port = Parameter<Int>("port", default: 9000, range: 1...65535, doc: "receiver's UDP port")
    public static let prefix = Parameter<String>("prefix", default: "/sergraph", doc: "address prefix of every message")

    public static let info = StageInfo(
        name: "osc-sink",
        summary: "Sends events and posteriors as OSC messages over UDP (liblo).",
        inputs: [PortSpec("in", .event, .posterior, doc: "events, or posteriors")],
        parameters: [host, port, prefix])

    private let host: String
    private let port: Int
    private let prefix: String
    private var address: lo_address?
    private var labels: [String] = []
    private var sampleRate = 1.0
    private var hop = 1

    public init(parameters: Parameters, context: StageContext) throws {
        host = parameters[Self.host]
        port = parameters[Self.port]
        let prefix = parameters[Self.prefix]
        guard prefix.hasPrefix("/"), !prefix.hasSuffix("/") || prefix == "/" else {
            throw StageError.failed("prefix '\(prefix)' must start with '/' and not end with one, e.g. /sergraph")
        }
        self.prefix = prefix == "/" ? "" : prefix
    }

    deinit {
        if let address { lo_address_free(address) }
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        guard let address = lo_address_new(host, String(port)) else {
            throw StageError.failed("cannot make an OSC address for \(host):\(port)")
        }
        self.address = address
        labels = inputs[0].kind == .posterior ? inputs[0].labels : []
        sampleRate = inputs[0].sampleRate
        hop = inputs[0].hop
        return []
    }

    /// Events go to PREFIX/NAME with the time in seconds, then each field; posterior rows go to
    /// PREFIX/posterior with the time, the winning label, then each class's probability.
    public func process(_ block: Block, port: Int, output: Output) throws {
        if labels.isEmpty {
            for event in block.events {
                try send("\(prefix)/\(event.name)", time: event.time) { message in
                    event.fields.map { field -> Int32 in
                        switch field.value {
                        case .number(let number): return lo_message_add_float(message, Float(number))
                        case .text(let text): return lo_message_add_string(message, text)
                        case .flag(let flag): return flag ? lo_message_add_true(message) : lo_message_add_false(message)
                        }
                    }
                }
            }
        } else {
            for row in 0..<block.rows {
                let values = block.values[(row * labels.count)..<((row + 1) * labels.count)]
                let best = values.indices.max { values[$0] < values[$1] }! - values.startIndex
                try send("\(prefix)/posterior", time: block.time + Int64(row * hop)) { message in
                    [lo_message_add_string(message, labels[best])] + values.map { lo_message_add_float(message, $0) }
                }
            }
        }
    }

    /// Sends a message to `path` with the time in seconds, then what `arguments` adds
    /// (returning liblo's status for each argument).
    private func send(_ path: String, time: Int64, arguments: (lo_message) -> [Int32]) throws {
        guard let message = lo_message_new() else { throw StageError.failed("cannot make an OSC message") }
        defer { lo_message_free(message) }
        let statuses = [lo_message_add_double(message, Double(time) / sampleRate)] + arguments(message)
        guard statuses.allSatisfy({ $0 == 0 }) else { throw StageError.failed("cannot build an OSC message for \(path)") }
        guard lo_send_message(address, path, message) >= 0 else {
            throw StageError.failed("cannot send OSC to \(host):\(port): \(String(cString: lo_address_errstr(address)))")
        }
    }
}

/// A model swapped upstream may answer over other labels: each posterior message names its
/// winner among the labels in force.
extension OSCSink: LabelFollowing {
    public func outputs(following format: StreamFormat, port: Int) throws -> [StreamFormat] { [] }

    public func follow(_ format: StreamFormat, port: Int) {
        labels = format.labels
    }
}
