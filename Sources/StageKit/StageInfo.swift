/// The declaration of a stage type, from which graph files are validated and
/// `sergraph stages` prints its documentation.
public struct StageInfo: Sendable {
    /// The type name used in graph files ("resample").
    public var name: String
    /// One line saying what the stage does.
    public var summary: String
    /// Input ports, in port order.
    public var inputs: [PortSpec]
    /// Output ports, in port order.
    public var outputs: [PortSpec]
    /// The parameter declarations, in the order they are documented.
    public let declarations: [any AnyParameter]
    /// What the declarations say, as graph validation, `sergraph stages` and the plugin ABI read it.
    public var parameters: [ParameterSpec] { declarations.map(\.spec) }

    /// Declares a stage type with its typed parameter declarations, from which the specs are taken.
    public init(name: String, summary: String, inputs: [PortSpec] = [], outputs: [PortSpec] = [],
                parameters: [any AnyParameter] = []) {
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        declarations = parameters
    }

    /// The parameter declared as `name`.
    public func parameter(_ name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
    }

    /// The parameters that may change while blocks flow.
    public var liveParameters: [ParameterSpec] { parameters.filter(\.live) }

    /// Reads `text` as a new value of parameter `name` for a running stage, with a graph file's
    /// checks and wording.
    /// - Throws: `ParameterError` for an unknown parameter, one not declared live, or a value of
    ///   the wrong type or out of range.
    public func liveValue(_ name: String, _ text: String) throws -> ParameterValue {
        guard let spec = parameter(name) else { throw unknownParameter(name) }
        guard spec.live else {
            let live = liveParameters.map(\.name)
            throw ParameterError("parameter '\(name)' of \(self.name) cannot change while the stage runs; "
                                 + (live.isEmpty ? "it has no live parameters" : "live: " + live.joined(separator: ", ")))
        }
        switch spec.parse(text) {
        case .success(let value): return value
        case .failure(let error): throw ParameterError("parameter '\(name)' \(error)")
        }
    }

    /// Reads `text` as a new value of parameter `name` for a running stage, as `liveValue` does.
    public func liveChange(_ name: String, _ text: String) throws -> ParameterChange {
        ParameterChange(name: name, value: try liveValue(name, text))
    }

    /// What a graph file is told about a parameter this stage does not declare.
    public func unknownParameter(_ name: String) -> ParameterError {
        let hint = closest(to: name, among: parameters.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
        let known = parameters.isEmpty ? "it has none" : "it has " + parameters.map(\.name).joined(separator: ", ")
        return ParameterError("unknown parameter '\(name)' for \(self.name)\(hint); \(known)")
    }
}

/// The declaration of one input or output port.
public struct PortSpec: Sendable {
    /// The port's name in graph files ("in", "out").
    public var name: String
    /// The kinds of stream the port takes (inputs) or produces (outputs: one kind).
    public var kinds: [StreamKind]
    /// One line of documentation.
    public var doc: String

    /// Declares a port that takes or produces one of `kinds`.
    public init(_ name: String, _ kinds: StreamKind..., doc: String) {
        self.init(name, kinds: kinds, doc: doc)
    }

    /// Declares a port that takes or produces any of `kinds`.
    public init(_ name: String, kinds: [StreamKind], doc: String) {
        precondition(!kinds.isEmpty, "a port takes at least one kind of stream")
        self.name = name
        self.kinds = kinds
        self.doc = doc
    }
}
