/// The type of a stage parameter, which decides how a graph file's text is read.
public enum ParameterType: Sendable, Equatable, CustomStringConvertible {
    /// A whole number.
    case integer
    /// A real number.
    case number
    /// Free text.
    case text
    /// true or false.
    case flag
    /// One of a fixed set of words.
    case choice([String])
    /// A file to read; a relative path is taken from the graph file's folder.
    case inputPath
    /// A file to write; a relative path is taken from the output folder, and `{stem}`
    /// stands for the input's name (its path below the input folder, without extension).
    case outputPath

    /// The type as `sergraph stages` shows it.
    public var description: String {
        switch self {
        case .integer: return "integer"
        case .number: return "number"
        case .text: return "text"
        case .flag: return "flag"
        case .choice(let words): return words.joined(separator: "|")
        case .inputPath: return "input path"
        case .outputPath: return "output path"
        }
    }
}

/// A value a parameter can hold.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case text(String)
    case flag(Bool)

    /// The value of a number or integer.
    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    /// The value as a graph file writes it.
    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .number(let value): return value.formatted
        case .text(let value): return value
        case .flag(let value): return String(value)
        }
    }
}

/// What a parameter declaration (`Parameter<Value>`, or a plugin's C descriptor) says: its
/// name, type, default, range and documentation. The graph loader validates against it,
/// `sergraph stages` prints it and the plugin ABI carries it.
public struct ParameterSpec: Sendable {
    /// The key used in graph files.
    public var name: String
    /// How the value is read.
    public var type: ParameterType
    /// The value used when a graph file gives none; `nil` makes the parameter required.
    public var defaultValue: ParameterValue?
    /// The allowed range for numbers and integers.
    public var range: ClosedRange<Double>?
    /// The unit of the value, if it has one ("Hz", "s", "dB").
    public var unit: String?
    /// One line of documentation.
    public var doc: String
    /// Whether the value may change while blocks flow (`sergraph ctl set`); the stage's
    /// `control` then takes it.
    public var live: Bool

    /// Declares a parameter; `live` ones can be set on a running graph. Stages declare theirs
    /// as `Parameter<Value>`, which makes the spec.
    init(_ name: String, _ type: ParameterType, default defaultValue: ParameterValue? = nil,
                range: ClosedRange<Double>? = nil, unit: String? = nil, live: Bool = false, doc: String) {
        self.name = name
        self.live = live
        self.type = type
        self.defaultValue = defaultValue
        self.range = range
        self.unit = unit
        self.doc = doc
    }

    /// Whether a graph file must give a value.
    public var isRequired: Bool { defaultValue == nil }

    /// Reads `text` as a value of this parameter, checking type, choices and range.
    /// - Returns: the value, or a message saying what is wrong with it.
    public func parse(_ text: String) -> Result<ParameterValue, ParameterError> {
        let value: ParameterValue
        switch type {
        case .integer:
            guard let integer = Int(text) else { return .failure(.init("expects an integer, got '\(text)'")) }
            value = .integer(integer)
        case .number:
            guard let number = Double(text), number.isFinite else {
                return .failure(.init("expects a number, got '\(text)'"))
            }
            value = .number(number)
        case .flag:
            switch text.lowercased() {
            case "true", "yes", "on": value = .flag(true)
            case "false", "no", "off": value = .flag(false)
            default: return .failure(.init("expects true or false, got '\(text)'"))
            }
        case .text, .inputPath, .outputPath, .choice:
            value = .text(text)
        }
        return check(value)
    }

    /// Checks that `value` has the declared type (an integer stands for a number) and lies
    /// in the declared range.
    public func check(_ value: ParameterValue) -> Result<ParameterValue, ParameterError> {
        switch (type, value) {
        case (.integer, .integer), (.number, .number), (.flag, .flag), (.text, .text), (.inputPath, .text), (.outputPath, .text):
            break
        case (.number, .integer(let integer)):
            return check(.number(Double(integer)))
        case (.choice(let words), .text(let word)):
            guard words.contains(word) else {
                return .failure(.init("expects one of \(words.joined(separator: ", ")), got '\(word)'"))
            }
        default:
            return .failure(.init("expects \(type), got '\(value)'"))
        }
        guard let range else { return .success(value) }
        let number: Double
        switch value {
        case .integer(let integer): number = Double(integer)
        case .number(let real): number = real
        default: return .success(value)
        }
        guard range.contains(number) else {
            return .failure(.init("= \(value) is out of range \(range.lowerBound.formatted)...\(range.upperBound.formatted)"))
        }
        return .success(value)
    }
}

extension ParameterSpec: AnyParameter {
    public var spec: ParameterSpec { self }
    public func value(in parameters: Parameters) -> ParameterValue { parameters[declared: self] }
}

/// What is wrong with a parameter value.
public struct ParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problem, worded to follow the parameter's name ("expects a number, got 'x'").
    public var description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// The validated parameter values of one stage instance: every declared parameter has a
/// value of its declared type.
public struct Parameters: Sendable {
    private var values: [String: ParameterValue]

    /// Fills in defaults for the declared parameters that `given` does not set.
    /// - Throws: `ParameterError` for an unknown name, a missing required value, or a value
    ///   of the wrong type or out of range.
    public init(_ given: [String: ParameterValue], specs: [ParameterSpec]) throws {
        var values: [String: ParameterValue] = [:]
        for name in given.keys where !specs.contains(where: { $0.name == name }) {
            throw ParameterError("unknown parameter '\(name)'")
        }
        for spec in specs {
            guard let value = given[spec.name] ?? spec.defaultValue else {
                throw ParameterError("parameter '\(spec.name)' is required")
            }
            switch spec.check(value) {
            case .success(let checked): values[spec.name] = checked
            case .failure(let error): throw ParameterError("parameter '\(spec.name)' \(error)")
            }
        }
        self.values = values
    }

    /// The value of `parameter`, which the stage declares (a stage reading one it does not
    /// list in its `StageInfo` is a programming error).
    public subscript<Value>(parameter: Parameter<Value>) -> Value {
        guard let value = parameter.read(self[declared: parameter.spec]) else {
            preconditionFailure("parameter '\(parameter.name)' does not hold a \(Value.self)")
        }
        return value
    }

    /// The checked value of `spec`, which the stage declares.
    subscript(declared spec: ParameterSpec) -> ParameterValue {
        guard let value = values[spec.name] else {
            preconditionFailure("parameter '\(spec.name)' is not among the stage's declared parameters")
        }
        return value
    }
}
