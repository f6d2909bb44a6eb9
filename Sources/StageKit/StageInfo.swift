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
    /// Parameters, in the order they are documented.
    public var parameters: [ParameterSpec]

    /// Declares a stage type.
    public init(name: String, summary: String, inputs: [PortSpec] = [], outputs: [PortSpec] = [],
                parameters: [ParameterSpec] = []) {
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.parameters = parameters
    }

    /// The parameter declared as `name`.
    public func parameter(_ name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
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
