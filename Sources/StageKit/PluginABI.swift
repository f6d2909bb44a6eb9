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
        let labels = try abiList(format.labels, format.label_count, "format", list: "labels", count: "label_count")
            .enumerated().map { try abiString($1, "format label \($0)") }
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
    /// - Throws: `StageError.failed` for a negative count, a NULL list or string, or values
    ///   that are not whole rows.
    public init(abi block: sg_block) throws {
        guard block.width >= 0 else { throw StageError.failed("block: `width` is \(block.width)") }
        if block.width > 0 {
            guard block.value_count >= 0, block.value_count % Int64(block.width) == 0 else {
                throw StageError.failed("block: `value_count` \(block.value_count) is not whole rows of width \(block.width)")
            }
            guard block.value_count == 0 || block.values != nil else {
                throw StageError.failed("block: `values` is NULL but `value_count` is \(block.value_count)")
            }
            let values = block.value_count > 0 ? Array(UnsafeBufferPointer(start: block.values, count: Int(block.value_count))) : []
            self.init(time: block.time, width: Int(block.width), values: values)
        } else {
            let events = try abiList(block.events, block.event_count, "block", list: "events", count: "event_count").map(Event.init(abi:))
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
    init(abi event: sg_event) throws {
        let name = try abiString(event.name, "event `name`")
        let fields = try abiList(event.fields, event.field_count, "event '\(name)'", list: "fields", count: "field_count")
            .enumerated().map { index, field -> Field in
                let key = try abiString(field.key, "event '\(name)': field \(index) `key`")
                let value: EventValue
                switch Int(field.type) {
                case SG_VALUE_TEXT: value = .text(try abiString(field.text, "event '\(name)': field '\(key)' `text`"))
                case SG_VALUE_FLAG: value = .flag(field.number != 0)
                case SG_VALUE_NUMBER: value = .number(field.number)
                default: throw StageError.failed("event '\(name)': field '\(key)' has unknown type \(field.type)")
                }
                return Field(key, value)
            }
        self.init(time: event.time, duration: event.duration, name: name, fields: fields)
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
    /// Reads a stage's declaration from its ABI descriptor, refusing a NULL string, a NULL list
    /// or a negative count wherever the header does not allow one. The functions are checked
    /// by the host, which calls them.
    /// - Parameter index: the stage's place in the plugin's list, for a stage without a name.
    /// - Throws: `StageError.failed` naming the stage and what is malformed.
    public init(abi stage: sg_stage_descriptor, index: Int) throws {
        let name = try abiString(stage.name, "stage \(index): `name`")
        guard !name.isEmpty else { throw StageError.failed("stage \(index): `name` is empty") }
        let owner = "stage '\(name)'"
        func ports(_ list: UnsafePointer<sg_port_spec>?, _ count: Int32, _ role: String) throws -> [PortSpec] {
            try abiList(list, count, owner, list: role + "s", count: role + "_count").enumerated().map { index, port in
                let portName = try abiString(port.name, "\(owner): \(role) \(index) `name`")
                let kinds = StreamKind.kinds(port.kinds)
                guard !kinds.isEmpty else { throw StageError.failed("\(owner): \(role) '\(portName)' declares no stream kind") }
                return PortSpec(portName, kinds: kinds, doc: try abiString(port.doc, "\(owner): \(role) '\(portName)' `doc`"))
            }
        }
        let parameters = try abiList(stage.parameters, stage.parameter_count, owner, list: "parameters", count: "parameter_count")
            .enumerated().map { index, spec -> ParameterSpec in
                let parameterName = try abiString(spec.name, "\(owner): parameter \(index) `name`")
                let what = "\(owner): parameter '\(parameterName)'"
                let choices = spec.type == Int32(SG_PARAMETER_CHOICE) ? try abiString(spec.choices, "\(what) `choices`") : nil
                guard let type = ParameterType(abiCode: spec.type, choices: choices) else {
                    throw StageError.failed("\(what) has unknown type \(spec.type)")
                }
                var declared = ParameterSpec(parameterName, type, range: spec.has_range != 0 ? spec.minimum...spec.maximum : nil,
                                             unit: spec.unit.map { String(cString: $0) }, doc: try abiString(spec.doc, "\(what) `doc`"))
                if let text = spec.default_value.map({ String(cString: $0) }) {
                    guard case .success(let value) = declared.parse(text) else {
                        throw StageError.failed("\(what) has an invalid default '\(text)'")
                    }
                    declared.defaultValue = value
                }
                return declared
            }
        self.init(name: name, summary: try abiString(stage.summary, "\(owner): `summary`"),
                  inputs: try ports(stage.inputs, stage.input_count, "input"),
                  outputs: try ports(stage.outputs, stage.output_count, "output"), parameters: parameters)
    }
}

/// The C string at `pointer`, which the ABI requires.
/// - Throws: `StageError.failed` saying that `what` is NULL.
public func abiString(_ pointer: UnsafePointer<CChar>?, _ what: @autoclosure () -> String) throws -> String {
    guard let pointer else { throw StageError.failed("\(what()) is NULL") }
    return String(cString: pointer)
}

/// The `count` elements of an ABI list at `pointer`.
/// - Parameters: `owner`, `list` and `count` name the list and its count field for messages.
/// - Throws: `StageError.failed` for a negative count, or a NULL list with elements.
public func abiList<T>(_ pointer: UnsafePointer<T>?, _ count: Int32, _ owner: String, list: String,
                       count countName: String) throws -> UnsafeBufferPointer<T> {
    guard count >= 0 else { throw StageError.failed("\(owner): `\(countName)` is \(count)") }
    guard count == 0 || pointer != nil else { throw StageError.failed("\(owner): `\(list)` is NULL but `\(countName)` is \(count)") }
    return UnsafeBufferPointer(start: count == 0 ? nil : pointer, count: Int(count))
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
