import Foundation
import StageKit

/// Writes events as CSV: a header, then one row per event.
public typealias CSVSink = EventLineSink<CSVRows>

/// A header (time, duration, event, then each field), then one row per event.
public struct CSVRows: EventLineFormat {
    public static let path = Parameter<String>("path", path: .output, default: "{stem}.csv",
                                               doc: "file to write, or - for standard output")

    public static let info = StageInfo(
        name: "csv-sink",
        summary: "Writes events as CSV rows (time, duration, event, then each field) to a file or standard output.",
        inputs: [PortSpec("in", .event, doc: "events")],
        parameters: [path])

    /// Field columns; from the stream format when it declares them, else from the first event.
    private var columns: [String]?

    public init() {}

    public mutating func opening(_ format: StreamFormat) -> [String] {
        format.labels.isEmpty ? [] : [header(format.labels)]
    }

    public mutating func lines(for event: Event, sampleRate: Double) throws -> [String] {
        let first = columns == nil ? [header(event.fields.map(\.key))] : []
        let columns = columns!
        if let stray = event.fields.first(where: { !columns.contains($0.key) }) {
            throw StageError.failed("event '\(event.name)' has field '\(stray.key)', which is not a CSV column (\(columns.joined(separator: ", ")))")
        }
        let cells = [(Double(event.time) / sampleRate).formatted, (Double(event.duration) / sampleRate).formatted,
                     csv(event.name)] + columns.map { key in event[key].map { csv($0.description) } ?? "" }
        return first + [cells.joined(separator: ",")]
    }

    public mutating func closing() -> [String] {
        columns == nil ? [header([])] : []
    }

    private mutating func header(_ fields: [String]) -> String {
        columns = fields
        return (["time", "duration", "event"] + fields).map(csv).joined(separator: ",")
    }
}

/// A CSV cell, quoted when it holds a comma, quote or line break.
func csv(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
