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
    case EROFS: "that file system is read-only; write elsewhere (-o)"
    case ENOTDIR, EEXIST: "a file is where a folder should be; move it, or write elsewhere (-o)"
    case EISDIR: "a folder has that name; move it, or name the output differently"
    case EPIPE: "whatever read the output has gone (a closed pipe)"
    case EIO: "the device reported an input/output error; check the disk"
    default: nil
    }
    return remedy.map { "\(words); \($0)" } ?? words
}
