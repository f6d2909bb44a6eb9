import Foundation
import StageKit

/// What ties a graph to one run: parameter values set from outside (the input file of
/// `sergraph process`), the folder outputs go to, and the input's stem for `{stem}`.
public struct RunBindings: Sendable {
    /// Parameter values that replace the graph file's, by stage name then parameter name.
    public var overrides: [String: [String: ParameterValue]]
    /// The folder relative output paths are taken from.
    public var outputDirectory: String
    /// What `{stem}` stands for in output paths.
    public var stem: String

    public init(overrides: [String: [String: ParameterValue]] = [:], outputDirectory: String = ".", stem: String = "output") {
        self.overrides = overrides
        self.outputDirectory = outputDirectory
        self.stem = stem
    }

    /// The stage's parameter values for this run: the graph's, then the overrides, with
    /// output paths expanded.
    /// - Throws: `OutputPathError` when an expanded output path would leave the output folder.
    func parameters(of node: ValidatedGraph.Node) throws -> [String: ParameterValue] {
        var values = node.parameters.merging(overrides[node.name] ?? [:]) { $1 }
        for spec in node.factory.info.parameters where spec.type == .outputPath {
            guard case .text(let path)? = values[spec.name] ?? spec.defaultValue else { continue }
            values[spec.name] = .text(try outputPath(path, parameter: spec.name))
        }
        return values
    }

    /// `path` with `{stem}` replaced and taken from the output folder; "-" (standard output) stays.
    /// - Throws: `OutputPathError` when the path, with `{stem}` filled in, is not a file below
    ///   the output folder (absolute, climbing out with `..`, or the folder itself).
    public func outputPath(_ path: String, parameter: String = "path") throws -> String {
        guard path != "-" else { return path }
        let expanded = path.replacingOccurrences(of: "{stem}", with: stem)
        if let problem = OutputPathRule.problem(with: expanded) {
            throw OutputPathError(description: "parameter '\(parameter)' = '\(path)' with {stem} = '\(stem)': \(problem)")
        }
        return (outputDirectory as NSString).appendingPathComponent(expanded)
    }

    /// The files a run of `graph` with these bindings writes.
    /// - Throws: `OutputPathError` as `outputPath` does.
    public func outputFiles(of graph: ValidatedGraph) throws -> [String] {
        try graph.stages.flatMap { node in
            let values = try parameters(of: node)
            return node.factory.info.parameters.filter { $0.type == .outputPath }.compactMap { spec -> String? in
                guard case .text(let path)? = values[spec.name], path != "-" else { return nil }
                return path
            }
        }
    }
}

/// An output path that would put a file outside the run's output folder.
public struct OutputPathError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
