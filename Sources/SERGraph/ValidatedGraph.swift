import StageKit

/// A graph whose stage types, parameters and connections have been checked, with its
/// stages in an order where every stage comes after those that feed it.
public struct ValidatedGraph: Sendable {
    /// The graph file, or "<command line>".
    public var file: String
    /// One line on what the graph does.
    public var description: String?
    /// Stages in topological order.
    public var stages: [Node]

    /// One checked stage.
    public struct Node: Sendable {
        public var name: String
        public var factory: StageFactory
        /// Parameter values as given (defaults are filled in when the stage is made).
        public var parameters: [String: ParameterValue]
        /// Where each input port's stream comes from, in port order.
        public var inputs: [Endpoint]
        /// Where the stage is declared.
        public var location: SourceLocation
    }

    /// An output port of a stage.
    public struct Endpoint: Sendable, Equatable {
        /// Index into `stages`.
        public var stage: Int
        /// Output port index.
        public var port: Int
    }

    /// The index of the stage called `name`.
    public func index(of name: String) -> Int? { stages.firstIndex { $0.name == name } }

    /// The stages that read a file named by an input-path parameter: the ones `process` feeds.
    public var fileInputs: [(stage: Int, parameter: String)] {
        stages.indices.flatMap { index in
            stages[index].factory.info.parameters.filter { $0.type == .inputPath && stages[index].factory.isSource }
                .map { (index, $0.name) }
        }
    }
}
