import Foundation

extension StageError {
    /// A file operation on `path` that failed with the system error `code` (an errno), in the
    /// system's words and with what to do about it; `doing` says what was tried ("write").
    public static func file(path: String, doing operation: String, errno code: Int32) -> StageError {
        .file(path: path, message: "cannot \(operation): \(fileProblem(errno: code))")
    }
}

/// A system error on a file as a user reads it: the system's words, then the usual remedy.
public func fileProblem(errno code: Int32) -> String {
    let words = String(cString: strerror(code))
    let remedy: String? = switch code {
    case ENOSPC, EDQUOT: "free some space on that disk, or write elsewhere (-o)"
    case EACCES, EPERM: "check the permissions of the file and its folder, or write elsewhere (-o)"
    case EROFS: "write elsewhere (-o)"
    case ENOTDIR, EEXIST: "a file is where a folder should be; move it, or write elsewhere (-o)"
    case EISDIR: "a folder has that name; move it, or name the output differently"
    case EPIPE: "whatever read the output has gone (a closed pipe)"
    case EIO: "the device reported an input/output error; check the disk"
    default: nil
    }
    return remedy.map { "\(words); \($0)" } ?? words
}

/// Makes the folder `path` and any missing parents, as `mkdir -p` does.
/// - Throws: `StageError.file` naming the path that is a file, or the folder that could not be
///   made, with what to do.
public func makeFolders(_ path: String) throws {
    var status = stat()
    if stat(path, &status) == 0 {
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw StageError.file(path: path, message: "is a file, not a folder; move it, or write elsewhere (-o)")
        }
        return
    }
    let parent = parentFolder(of: path)
    if !parent.isEmpty && parent != path { try makeFolders(parent) }
    guard mkdir(path, 0o777) == 0 || errno == EEXIST else {
        throw StageError.file(path: path, doing: "make the folder", errno: errno)
    }
}
