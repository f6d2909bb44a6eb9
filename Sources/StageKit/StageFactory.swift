/// How the engine knows a stage type: its declaration, where it comes from, and how to
/// make an instance. Built-in stages and plugin stages both arrive as factories.
public struct StageFactory: Sendable {
    /// The declaration the graph is validated against.
    public var info: StageInfo
    /// Where the type comes from: "built-in", or a plugin library's path.
    public var origin: String
    /// Makes an instance from validated parameters.
    public var make: @Sendable (Parameters, StageContext) throws -> any Processor
    /// Checks what the parameters name beyond their declared types and ranges (a model
    /// folder's config and weights, say) when a graph is validated, before any audio flows;
    /// what it throws is reported at the stage's line.
    public var check: (@Sendable (Parameters) throws -> Void)?

    /// A factory from explicit parts.
    public init(info: StageInfo, origin: String, check: (@Sendable (Parameters) throws -> Void)? = nil,
                make: @escaping @Sendable (Parameters, StageContext) throws -> any Processor) {
        self.info = info
        self.origin = origin
        self.check = check
        self.make = make
    }

    /// The factory of a Swift stage type, with an optional validation-time `check`.
    public init<S: Stage>(_ type: S.Type, origin: String = "built-in", check: (@Sendable (Parameters) throws -> Void)? = nil) {
        self.init(info: S.info, origin: origin, check: check) { try S(parameters: $0, context: $1) }
    }

    /// Whether the stage has no inputs and produces a stream.
    public var isSource: Bool { info.inputs.isEmpty }
}
