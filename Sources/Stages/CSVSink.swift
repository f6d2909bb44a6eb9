import Foundation
import StageKit

/// Writes events as CSV: a header, then one row per event.
public final class CSVSink: Stage {
    public static let info = StageInfo(
        name: "csv-sink",
        summary: "Writes events as CSV rows (time, duration, event, then each field) to a file or standard output.",
        inputs: [PortSpec("in", .event, doc: "events")],
        parameters: [ParameterSpec("path", .outputPath, default: .text("{stem}.csv"),
                                   doc: "file to write, or - for standard output")])

    private let path: String
    private let outputs: OutputFiles
    private var output: TextOutput?
    private var sampleRate = 1.0
    /// Field columns; from the stream format when it declares them, else from the first event.
    private var columns: [String]?

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters.text("path")
        outputs = context.outputs
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        sampleRate = inputs[0].sampleRate
        output = try TextOutput(path: path, outputs: outputs)
        if !inputs[0].labels.isEmpty { try writeHeader(inputs[0].labels) }
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        for event in block.events {
            if columns == nil { try writeHeader(event.fields.map(\.key)) }
            let columns = columns!
            if let stray = event.fields.first(where: { !columns.contains($0.key) }) {
                throw StageError.failed("event '\(event.name)' has field '\(stray.key)', which is not a CSV column (\(columns.joined(separator: ", ")))")
            }
            let cells = [(Double(event.time) / sampleRate).formatted, (Double(event.duration) / sampleRate).formatted,
                         csv(event.name)] + columns.map { key in event[key].map { csv($0.description) } ?? "" }
            try self.output?.write(line: cells.joined(separator: ","))
        }
    }

    public func finish(output: Output) throws {
        if columns == nil { try writeHeader([]) }
        try self.output?.close()
    }

    private func writeHeader(_ fields: [String]) throws {
        columns = fields
        try output?.write(line: (["time", "duration", "event"] + fields).map(csv).joined(separator: ","))
    }
}

/// A CSV cell, quoted when it holds a comma, quote or line break.
func csv(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
