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
    /// The stage feeding `port`, when the problem is what arrives there.
    public var upstream: String?
    /// What is wrong, and where possible what to do about it.
    public var message: String

    public init(_ message: String, at location: SourceLocation, stage: String? = nil, port: String? = nil,
                upstream: String? = nil) {
        self.location = location
        self.stage = stage
        self.port = port
        self.upstream = upstream
        self.message = message
    }

    /// What the problem concerns, e.g. `stage 'encoder' port 'in' (fed by 'tone')`; empty
    /// when it names no stage or port.
    public var subject: String {
        var parts: [String] = []
        if let stage { parts.append("stage '\(stage)'") }
        if let port { parts.append("port '\(port)'" + (upstream.map { " (fed by '\($0)')" } ?? "")) }
        return parts.joined(separator: " ")
    }

    /// The problem without its place in the file: subject, then message.
    public var summary: String {
        subject.isEmpty ? message : subject + ": " + message
    }

    public var description: String {
        "\(location): error: " + summary
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
