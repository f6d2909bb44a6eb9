import StageKit

/// Writes events as JSON lines: one object per event, with its time in seconds.
public final class JSONLinesSink: Stage {
    public static let info = StageInfo(
        name: "jsonl-sink",
        summary: "Writes events as JSON lines (one object per line) to a file or standard output.",
        inputs: [PortSpec("in", .event, doc: "events")],
        parameters: [ParameterSpec("path", .outputPath, default: .text("{stem}.jsonl"),
                                   doc: "file to write, or - for standard output (flushed per line)")])

    private let path: String
    private let outputs: OutputFiles
    private var output: TextOutput?
    private var sampleRate = 1.0

    public init(parameters: Parameters, context: StageContext) throws {
        path = parameters.text("path")
        outputs = context.outputs
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        sampleRate = inputs[0].sampleRate
        output = try TextOutput(path: path, outputs: outputs)
        return []
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        for event in block.events {
            var line = "{\"time\":\(json(Double(event.time) / sampleRate))"
            if event.duration > 0 { line += ",\"duration\":\(json(Double(event.duration) / sampleRate))" }
            line += ",\"event\":\(json(event.name))"
            for field in event.fields { line += ",\(json(field.key)):\(json(field.value))" }
            try self.output?.write(line: line + "}")
        }
    }

    public func finish(output: Output) throws {
        try self.output?.close()
    }
}

/// A number as JSON (null when not finite).
func json(_ number: Double) -> String {
    guard number.isFinite else { return "null" }
    return number.formatted
}

/// A string as a JSON string literal.
func json(_ text: String) -> String {
    var escaped = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        case _ where scalar.value < 0x20: escaped += String(format: "\\u%04x", scalar.value)
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped + "\""
}

/// An event value as JSON.
func json(_ value: EventValue) -> String {
    switch value {
    case .number(let number): return json(number)
    case .text(let text): return json(text)
    case .flag(let flag): return String(flag)
    }
}
