import Foundation

/// One file for `sergraph process`, with the stem its outputs are named after.
public struct BatchInput: Sendable, Equatable {
    /// The file to read.
    public var path: String
    /// Its path below the folder it was found in (or its file name), without extension.
    public var stem: String
    /// Its size in bytes, for the progress estimate.
    public var size: Int64
}

/// Why the inputs of a batch cannot be used.
public struct BatchInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Turns the files and folders given on the command line into a list of inputs: files as
/// they are, folders searched recursively for files with the given extensions.
public func collectInputs(_ arguments: [String], extensions: Set<String>) throws -> [BatchInput] {
    let files = FileManager.default
    var inputs: [BatchInput] = []
    for argument in arguments {
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: argument, isDirectory: &isFolder) else {
            throw BatchInputError(description: "\(argument): no such file or folder")
        }
        if !isFolder.boolValue {
            inputs.append(input(argument, stem: ((argument as NSString).lastPathComponent as NSString).deletingPathExtension))
            continue
        }
        guard let walker = files.enumerator(atPath: argument) else {
            throw BatchInputError(description: "\(argument): cannot list the folder")
        }
        var found: [BatchInput] = []
        for case let relative as String in walker
        where extensions.contains((relative as NSString).pathExtension.lowercased()) {
            let path = (argument as NSString).appendingPathComponent(relative)
            found.append(input(path, stem: (relative as NSString).deletingPathExtension))
        }
        inputs += found.sorted { $0.path < $1.path }
    }
    var byStem: [String: String] = [:]
    for input in inputs {
        if let other = byStem[input.stem] {
            throw BatchInputError(description: "\(other) and \(input.path) would write the same outputs ('\(input.stem)'); process them separately")
        }
        byStem[input.stem] = input.path
    }
    return inputs
}

private func input(_ path: String, stem: String) -> BatchInput {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    return BatchInput(path: path, stem: stem, size: size)
}
