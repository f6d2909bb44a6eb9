/// A Swift type a stage parameter can have: how it is declared to graph files and read back
/// from a checked value. `Double`, `Int`, `Bool`, `String` and `ParameterChoice` enums have it.
public protocol ParameterRepresentable: Sendable {
    /// How graph files give a value of this type.
    static var parameterType: ParameterType { get }
    /// The value as the engine holds it.
    var parameterValue: ParameterValue { get }
    /// Reads a checked value; nil when it is of another type.
    init?(parameterValue: ParameterValue)
}

/// A number a parameter can have, which a declaration can bound with a range.
public protocol ParameterNumber: ParameterRepresentable, Comparable {
    /// The value as the declaration's range holds it.
    var rangeValue: Double { get }
}

/// One of a fixed set of words, as a Swift enum: `enum Method: String, ParameterChoice { case ema, median }`.
/// The words are the raw values, in case order.
public protocol ParameterChoice: ParameterRepresentable, CaseIterable, RawRepresentable where RawValue == String {}

extension ParameterChoice {
    public static var parameterType: ParameterType { .choice(allCases.map(\.rawValue)) }
    public var parameterValue: ParameterValue { .text(rawValue) }
    public init?(parameterValue: ParameterValue) {
        guard case .text(let word) = parameterValue else { return nil }
        self.init(rawValue: word)
    }
}

extension Double: ParameterNumber {
    public static var parameterType: ParameterType { .number }
    public var parameterValue: ParameterValue { .number(self) }
    public var rangeValue: Double { self }
    public init?(parameterValue: ParameterValue) {
        guard let number = parameterValue.number else { return nil }
        self = number
    }
}

extension Int: ParameterNumber {
    public static var parameterType: ParameterType { .integer }
    public var parameterValue: ParameterValue { .integer(self) }
    public var rangeValue: Double { Double(self) }
    public init?(parameterValue: ParameterValue) {
        guard case .integer(let integer) = parameterValue else { return nil }
        self = integer
    }
}

extension Bool: ParameterRepresentable {
    public static var parameterType: ParameterType { .flag }
    public var parameterValue: ParameterValue { .flag(self) }
    public init?(parameterValue: ParameterValue) {
        guard case .flag(let flag) = parameterValue else { return nil }
        self = flag
    }
}

extension String: ParameterRepresentable {
    public static var parameterType: ParameterType { .text }
    public var parameterValue: ParameterValue { .text(self) }
    public init?(parameterValue: ParameterValue) {
        guard case .text(let text) = parameterValue else { return nil }
        self = text
    }
}

/// Whether a path parameter names a file to read or one to write.
public enum PathRole: Sendable {
    /// A file to read; a relative path is taken from the graph file's folder.
    case input
    /// A file to write; a relative path is taken from the output folder, `{stem}` standing for the input's name.
    case output
}

/// Any typed parameter declaration, for a stage's list of them.
public protocol AnyParameter: Sendable {
    /// What the declaration says, as graph validation, `sergraph stages` and the plugin ABI read it.
    var spec: ParameterSpec { get }
    /// The parameter's value among `parameters`, read through the declaration, for code that
    /// handles every parameter alike (describing them, passing them over the plugin ABI).
    func value(in parameters: Parameters) -> ParameterValue
}

/// One stage parameter, declared once with its Swift type; the stage lists it in its
/// `StageInfo` and reads it back typed, so a misspelt name does not compile:
/// ```swift
/// static let gain = Parameter<Double>("db", default: 0, range: -120...60, unit: "dB", live: true, doc: "gain")
/// init(parameters: Parameters, context: StageContext) throws { factor = parameters[Self.gain] }
/// ```
public struct Parameter<Value: ParameterRepresentable>: AnyParameter {
    public let spec: ParameterSpec

    /// The key used in graph files.
    public var name: String { spec.name }

    /// Declares a parameter; without a default, a graph file must give it. `live` ones can be
    /// set on a running graph (`sergraph ctl set`), and the stage's `apply` takes them.
    public init(_ name: String, default defaultValue: Value? = nil, unit: String? = nil, live: Bool = false, doc: String) {
        spec = ParameterSpec(name, Value.parameterType, default: defaultValue?.parameterValue, unit: unit, live: live, doc: doc)
    }

    /// Reads the value a checked `value` holds.
    func read(_ value: ParameterValue) -> Value? { Value(parameterValue: value) }

    /// The typed value, as the engine holds it.
    public func value(in parameters: Parameters) -> ParameterValue { parameters[self].parameterValue }
}

extension Parameter where Value: ParameterNumber {
    /// Declares a number within `range`.
    public init(_ name: String, default defaultValue: Value? = nil, range: ClosedRange<Value>, unit: String? = nil,
                live: Bool = false, doc: String) {
        spec = ParameterSpec(name, Value.parameterType, default: defaultValue?.parameterValue,
                             range: range.lowerBound.rangeValue...range.upperBound.rangeValue, unit: unit, live: live, doc: doc)
    }
}

extension Parameter where Value == String {
    /// Declares a path to a file the stage reads (`.input`) or writes (`.output`).
    public init(_ name: String, path role: PathRole, default defaultValue: String? = nil, doc: String) {
        spec = ParameterSpec(name, role == .input ? .inputPath : .outputPath, default: defaultValue.map(ParameterValue.text), doc: doc)
    }
}

/// A new value for one of a stage's live parameters, checked against its declaration as a
/// graph file's would be.
public struct ParameterChange: Sendable {
    /// The parameter's name.
    public let name: String
    /// The checked value.
    public let value: ParameterValue

    init(name: String, value: ParameterValue) {
        self.name = name
        self.value = value
    }

    /// The new value when the change is to `parameter`, else nil.
    public subscript<Value>(parameter: Parameter<Value>) -> Value? {
        parameter.name == name ? parameter.read(value) : nil
    }
}
