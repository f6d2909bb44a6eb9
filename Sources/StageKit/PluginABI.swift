import CStagePlugin

// Conversions between StageKit's Swift types and the plain C types of the plugin ABI
// (`sergraph_plugin.h`), used on both sides of it: by `StagePlugin` in a plugin and by the
// host's plugin loader.

extension StreamKind {
    /// The kind's bit in the ABI.
    var abiBit: UInt32 {
        switch self {
        case .audio: return UInt32(SG_KIND_AUDIO)
        case .features: return UInt32(SG_KIND_FEATURES)
        case .embedding: return UInt32(SG_KIND_EMBEDDING)
        case .posterior: return UInt32(SG_KIND_POSTERIOR)
        case .event: return UInt32(SG_KIND_EVENT)
        }
    }

    /// The kinds whose bits are set in `bits`.
    static func kinds(_ bits: UInt32) -> [StreamKind] {
        allCases.filter { bits & $0.abiBit != 0 }
    }
}

extension StreamFormat {
    /// Reads a format from the ABI.
    /// - Throws: `StageError.failed` for a kind that is not exactly one known bit.
    public init(abi format: sg_format) throws {
        guard let kind = StreamKind.kinds(format.kind).first, StreamKind.kinds(format.kind).count == 1 else {
            throw StageError.failed("format kind \(format.kind) is not one stream kind")
        }
        let labels = (0..<Int(format.label_count)).map { String(cString: format.labels![$0]!) }
        self.init(kind: kind, sampleRate: format.sample_rate, width: Int(format.width), hop: Int(format.hop), labels: labels)
    }

    /// The format in the ABI's terms; its strings live in `arena`.
    public func abi(in arena: CArena) -> sg_format {
        let labels = arena.array(labels.map { Optional(arena.string($0)) })
        return sg_format(kind: kind.abiBit, sample_rate: sampleRate, width: Int32(width), hop: Int32(hop),
                         labels: labels, label_count: Int32(self.labels.count))
    }
}

extension Block {
    /// Copies a block from the ABI.
    public init(abi block: sg_block) {
        if block.width > 0 {
            let values = block.value_count > 0 ? Array(UnsafeBufferPointer(start: block.values, count: Int(block.value_count))) : []
            self.init(time: block.time, width: Int(block.width), values: values)
        } else {
            let events = (0..<Int(block.event_count)).map { Event(abi: block.events![$0]) }
            self.init(events: events)
            time = block.time
        }
    }

    /// Calls `body` with the block in the ABI's terms, valid during the call only.
    public func withABI<R>(_ body: (UnsafePointer<sg_block>) throws -> R) rethrows -> R {
        try CArena.scoped { arena in
            let events = arena.array(events.map { $0.abi(in: arena) })
            return try values.withUnsafeBufferPointer { values in
                var block = sg_block(time: time, width: Int32(width), values: values.baseAddress, value_count: Int64(values.count),
                                     events: events, event_count: Int32(self.events.count))
                return try withUnsafePointer(to: &block) { try body($0) }
            }
        }
    }
}

extension Event {
    init(abi event: sg_event) {
        let fields = (0..<Int(event.field_count)).map { index -> Field in
            let field = event.fields![index]
            let value: EventValue
            switch Int(field.type) {
            case SG_VALUE_TEXT: value = .text(field.text.map { String(cString: $0) } ?? "")
            case SG_VALUE_FLAG: value = .flag(field.number != 0)
            default: value = .number(field.number)
            }
            return Field(String(cString: field.key), value)
        }
        self.init(time: event.time, duration: event.duration, name: String(cString: event.name), fields: fields)
    }

    func abi(in arena: CArena) -> sg_event {
        let fields = fields.map { field -> sg_field in
            switch field.value {
            case .number(let number):
                return sg_field(key: arena.string(field.key), type: Int32(SG_VALUE_NUMBER), number: number, text: nil)
            case .text(let text):
                return sg_field(key: arena.string(field.key), type: Int32(SG_VALUE_TEXT), number: 0, text: arena.string(text))
            case .flag(let flag):
                return sg_field(key: arena.string(field.key), type: Int32(SG_VALUE_FLAG), number: flag ? 1 : 0, text: nil)
            }
        }
        return sg_event(time: time, duration: duration, name: arena.string(name), fields: arena.array(fields), field_count: Int32(fields.count))
    }
}

extension ParameterType {
    var abiCode: Int32 {
        switch self {
        case .integer: return Int32(SG_PARAMETER_INTEGER)
        case .number: return Int32(SG_PARAMETER_NUMBER)
        case .text: return Int32(SG_PARAMETER_TEXT)
        case .flag: return Int32(SG_PARAMETER_FLAG)
        case .choice: return Int32(SG_PARAMETER_CHOICE)
        case .inputPath: return Int32(SG_PARAMETER_INPUT_PATH)
        case .outputPath: return Int32(SG_PARAMETER_OUTPUT_PATH)
        }
    }

    init?(abiCode: Int32, choices: String?) {
        switch Int(abiCode) {
        case SG_PARAMETER_INTEGER: self = .integer
        case SG_PARAMETER_NUMBER: self = .number
        case SG_PARAMETER_TEXT: self = .text
        case SG_PARAMETER_FLAG: self = .flag
        case SG_PARAMETER_CHOICE: self = .choice((choices ?? "").split(separator: "|").map(String.init))
        case SG_PARAMETER_INPUT_PATH: self = .inputPath
        case SG_PARAMETER_OUTPUT_PATH: self = .outputPath
        default: return nil
        }
    }
}

extension ParameterValue {
    /// The value as the ABI passes it: text, numbers in C locale, flags as true/false.
    public var abiText: String { description }
}

extension StageInfo {
    /// Reads a stage's declaration from its ABI descriptor.
    /// - Throws: `StageError.failed` naming what is malformed.
    public init(abi stage: sg_stage_descriptor) throws {
        guard let name = stage.name.map({ String(cString: $0) }), !name.isEmpty else {
            throw StageError.failed("a stage has no name")
        }
        func ports(_ list: UnsafePointer<sg_port_spec>?, _ count: Int32) throws -> [PortSpec] {
            try (0..<Int(count)).map { index in
                let port = list![index]
                let kinds = StreamKind.kinds(port.kinds)
                guard !kinds.isEmpty else { throw StageError.failed("stage '\(name)': port \(index) declares no stream kind") }
                return PortSpec(String(cString: port.name), kinds: kinds, doc: port.doc.map { String(cString: $0) } ?? "")
            }
        }
        let parameters = try (0..<Int(stage.parameter_count)).map { index -> ParameterSpec in
            let spec = stage.parameters![index]
            let parameterName = String(cString: spec.name)
            guard let type = ParameterType(abiCode: spec.type, choices: spec.choices.map { String(cString: $0) }) else {
                throw StageError.failed("stage '\(name)': parameter '\(parameterName)' has unknown type \(spec.type)")
            }
            var declared = ParameterSpec(parameterName, type, range: spec.has_range != 0 ? spec.minimum...spec.maximum : nil,
                                         unit: spec.unit.map { String(cString: $0) }, doc: spec.doc.map { String(cString: $0) } ?? "")
            if let text = spec.default_value.map({ String(cString: $0) }) {
                guard case .success(let value) = declared.parse(text) else {
                    throw StageError.failed("stage '\(name)': parameter '\(parameterName)' has an invalid default '\(text)'")
                }
                declared.defaultValue = value
            }
            return declared
        }
        self.init(name: name, summary: stage.summary.map { String(cString: $0) } ?? "",
                  inputs: try ports(stage.inputs, stage.input_count), outputs: try ports(stage.outputs, stage.output_count),
                  parameters: parameters)
    }
}

extension sg_error {
    /// Fills the error from a Swift error (the port too, for format errors).
    public mutating func fill(_ error: Error) {
        var port = ""
        var message = "\(error)"
        if case StageError.format(let name, let text) = error {
            port = name
            message = text
        }
        withUnsafeMutableBytes(of: &self.message) { copy(message, into: $0) }
        withUnsafeMutableBytes(of: &self.port) { copy(port, into: $0) }
    }

    /// The error as a Swift error: a format error when it names a port.
    public var stageError: StageError {
        let message = withUnsafeBytes(of: self.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let port = withUnsafeBytes(of: self.port) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return port.isEmpty ? .failed(message.isEmpty ? "failed without saying why" : message) : .format(port: port, message: message)
    }
}

/// Copies `text` into a fixed C char array, truncated and NUL-terminated.
private func copy(_ text: String, into buffer: UnsafeMutableRawBufferPointer) {
    let bytes = Array(text.utf8.prefix(buffer.count - 1))
    buffer.copyBytes(from: bytes + [0])
}
