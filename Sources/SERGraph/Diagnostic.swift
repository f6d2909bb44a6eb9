/// A place in a graph file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The graph file, or "<command line>" for a one-line chain.
    public var file: String
    /// Line, from 1; 0 when unknown.
    public var line: Int
    /// Column, from 1; 0 when unknown.
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}

/// One problem found in a graph, naming where it is: file and line, stage and port.
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the graph file.
    public var location: SourceLocation
    /// The stage concerned, if any.
    public var stage: String?
    /// The port concerned, if any.
    public var port: String?
    /// What is wrong, and where possible what to do about it.
    public var message: String

    public init(_ message: String, at location: SourceLocation, stage: String? = nil, port: String? = nil) {
        self.location = location
        self.stage = stage
        self.port = port
        self.message = message
    }

    public var description: String {
        var place = ""
        if let stage { place += "stage '\(stage)'" }
        if let port { place += (place.isEmpty ? "" : " ") + "port '\(port)'" }
        return "\(location): error: " + (place.isEmpty ? "" : place + ": ") + message
    }
}

/// A graph that cannot run, with every problem found in it.
public struct GraphError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
