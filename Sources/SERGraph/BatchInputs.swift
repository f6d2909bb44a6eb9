import Foundation

/// One file for `sergraph process`, with the stem its outputs are named after.
public struct BatchInput: Sendable, Equatable {
    /// The file to read.
    public var path: String
    /// Its path below the folder it was found in (or its file name), without extension.
    public var stem: String
    /// Its size in bytes, for the progress estimate.
    public var size: Int64

    /// An input read from `path` whose outputs are named after `stem`.
    public init(path: String, stem: String, size: Int64) {
        self.path = path
        self.stem = stem
        self.size = size
    }
}

/// Why the inputs of a batch cannot be used.
public struct BatchInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Turns the files and folders given on the command line into a list of inputs: files as
/// they are, folders searched recursively for files with the given extensions (a folder whose
/// name has such an extension is searched too). Nothing is opened: FIFOs, sockets and devices,
/// which could block whoever opens them, are left out and reported to `skipped`.
public func collectInputs(_ arguments: [String], extensions: Set<String>,
                          skipped: (String) -> Void) throws -> [BatchInput] {
    var inputs: [BatchInput] = []
    for argument in arguments {
        guard let kind = FileKind(path: argument) else {
            throw BatchInputError(description: "\(argument): no such file or folder")
        }
        switch kind {
        case .regular(let size):
            inputs.append(BatchInput(path: argument, stem: ((argument as NSString).lastPathComponent as NSString).deletingPathExtension,
                                     size: size))
        case .special(let what):
            skipped("\(argument): skipped, it is \(what), not a file")
        case .folder:
            inputs += try search(argument, extensions: extensions, skipped: skipped)
        }
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

/// The files below `folder` with one of `extensions`, sorted by path.
private func search(_ folder: String, extensions: Set<String>, skipped: (String) -> Void) throws -> [BatchInput] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else {
        throw BatchInputError(description: "\(folder): cannot list the folder")
    }
    var found: [BatchInput] = []
    for case let relative as String in walker where extensions.contains((relative as NSString).pathExtension.lowercased()) {
        let path = (folder as NSString).appendingPathComponent(relative)
        switch FileKind(path: path) {
        case .regular(let size):
            found.append(BatchInput(path: path, stem: (relative as NSString).deletingPathExtension, size: size))
        case .special(let what):
            skipped("\(path): skipped, it is \(what), not a file")
        case .folder:
            break  // searched by the walk itself
        case nil:
            skipped("\(path): skipped, \(String(cString: strerror(errno)))")  // e.g. a link to nothing
        }
    }
    return found.sorted { $0.path < $1.path }
}

/// What a path names, by `stat` (following links), without opening it.
private enum FileKind {
    case regular(size: Int64)
    case folder
    /// A FIFO, socket or device, described for a warning.
    case special(String)

    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: self = .regular(size: Int64(status.st_size))
        case S_IFDIR: self = .folder
        case S_IFIFO: self = .special("a FIFO (named pipe)")
        case S_IFSOCK: self = .special("a socket")
        case S_IFCHR: self = .special("a character device")
        case S_IFBLK: self = .special("a block device")
        default: self = .special("neither a file nor a folder")
        }
    }
}
