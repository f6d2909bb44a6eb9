import StageKit

/// Writes events as JSON lines: one object per event, with its time in seconds.
public typealias JSONLinesSink = EventLineSink<JSONLines>

/// One JSON object per event: time and duration in seconds, the event's name, its fields.
public struct JSONLines: EventLineFormat {
    public static let path = Parameter<String>("path", path: .output, default: "{stem}.jsonl",
                                               doc: "file to write, or - for standard output (flushed per line)")

    public static let info = StageInfo(
        name: "jsonl-sink",
        summary: "Writes events as JSON lines (one object per line) to a file or standard output.",
        inputs: [PortSpec("in", .event, doc: "events")],
        parameters: [path])

    public init() {}

    public func lines(for event: Event, sampleRate: Double) -> [String] {
        var line = "{\"time\":\(json(Double(event.time) / sampleRate))"
        if event.duration > 0 { line += ",\"duration\":\(json(Double(event.duration) / sampleRate))" }
        line += ",\"event\":\(json(event.name))"
        for field in event.fields { line += ",\(json(field.key)):\(json(field.value))" }
        return [line + "}"]
    }
}

/// A finite number as JSON (the sink refuses the others).
func json(_ number: Double) -> String {
    number.formatted
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
