/// A graph as written, before it is checked against the stage registry.
public struct GraphSpec: Sendable {
    /// The graph file, or "<command line>".
    public var file: String
    /// One line on what the graph does.
    public var description: String?
    /// Stages in the order they were written.
    public var stages: [StageSpec]
    /// Plugin libraries or folders of them the graph needs, as written (relative to the file).
    public var plugins: [WrittenPlugin]
    /// Problems the reader found but read past (a list where one value belongs, say); the
    /// validator reports them with its own, so one pass shows every problem.
    public var problems: [Diagnostic]

    public init(file: String, description: String? = nil, stages: [StageSpec] = [], plugins: [WrittenPlugin] = [],
                problems: [Diagnostic] = []) {
        self.file = file
        self.description = description
        self.stages = stages
        self.plugins = plugins
        self.problems = problems
    }
}

/// One stage as written: its name, type, parameter texts and where its inputs come from.
public struct StageSpec: Sendable {
    public var name: String
    public var type: String
    public var parameters: [WrittenParameter]
    public var inputs: [WrittenInput]
    /// Where the stage is declared.
    public var location: SourceLocation
    /// Where its type is written.
    public var typeLocation: SourceLocation
    /// Whether some parameters were written in a form the reader could not take (reported
    /// already), so that none is reported missing as well.
    public var hasUnreadableParameters = false

    public init(name: String, type: String, parameters: [WrittenParameter] = [], inputs: [WrittenInput] = [],
                location: SourceLocation, typeLocation: SourceLocation? = nil) {
        self.name = name
        self.type = type
        self.parameters = parameters
        self.inputs = inputs
        self.location = location
        self.typeLocation = typeLocation ?? location
    }
}

/// A plugin library, or a folder of them, named in a graph file.
public struct WrittenPlugin: Sendable {
    public var path: String
    public var location: SourceLocation

    public init(path: String, location: SourceLocation) {
        self.path = path
        self.location = location
    }
}

/// A parameter as written: its name and text.
public struct WrittenParameter: Sendable {
    public var name: String
    public var text: String
    public var location: SourceLocation

    public init(name: String, text: String, location: SourceLocation) {
        self.name = name
        self.text = text
        self.location = location
    }
}

/// A connection as written: into which input port (nil: the stage's only one) from which
/// stage and output port (nil: that stage's only one).
public struct WrittenInput: Sendable {
    public var port: String?
    public var fromStage: String
    public var fromPort: String?
    public var location: SourceLocation

    public init(port: String?, fromStage: String, fromPort: String?, location: SourceLocation) {
        self.port = port
        self.fromStage = fromStage
        self.fromPort = fromPort
        self.location = location
    }

    /// Reads "stage" or "stage.port".
    public init(port: String?, endpoint: String, location: SourceLocation) {
        let parts = endpoint.split(separator: ".", maxSplits: 1).map(String.init)
        self.init(port: port, fromStage: parts.first ?? "", fromPort: parts.count > 1 ? parts[1] : nil, location: location)
    }
}

/// Names unnamed stages of a chain after their type: "level", then "level-2", "level-3".
struct ChainNamer {
    private var counts: [String: Int] = [:]

    mutating func name(for type: String) -> String {
        counts[type, default: 0] += 1
        let count = counts[type]!
        return count == 1 ? type : "\(type)-\(count)"
    }
}
