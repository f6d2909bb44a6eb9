import Foundation
import StageKit

/// A text file written line by line under a temporary name (committed by the engine at the
/// end of the run), or standard output when the path is "-", flushed after every line. The
/// file is closed by `close()`, or when the output is released.
final class TextOutput {
    private var file: UnsafeMutablePointer<FILE>?
    private let path: String
    private let isStandardOutput: Bool

    /// Opens the output for `path` ("-" for standard output).
    init(path: String, outputs: OutputFiles) throws {
        self.path = path
        if path == "-" {
            file = stdout
            isStandardOutput = true
        } else {
            let temporary = try outputs.temporaryPath(for: path)
            guard let opened = fopen(temporary, "w") else {
                throw StageError.file(path: path, doing: "create", errno: errno)
            }
            file = opened
            isStandardOutput = false
        }
    }

    deinit {
        if let file, !isStandardOutput { fclose(file) }
    }

    /// Writes `line` and a newline (and flushes it, to standard output).
    /// - Throws: `StageError.file` naming the file, or standard output, when it cannot be written
    ///   (a full disk, a full or closed standard output).
    func write(line: String) throws {
        guard let file else { throw StageError.file(path: path, message: "written after it was closed") }
        guard fputs(line + "\n", file) >= 0, !isStandardOutput || fflush(file) == 0 else { throw failure() }
    }

    /// Flushes and closes the file (standard output stays open); a second call does nothing.
    func close() throws {
        guard let file else { return }
        if isStandardOutput {
            guard fflush(file) == 0 else { throw failure() }
            return
        }
        self.file = nil
        guard fclose(file) == 0 else { throw failure() }
    }

    private func failure() -> StageError {
        guard isStandardOutput else { return .file(path: path, doing: "write", errno: errno) }
        return .file(path: "standard output", message: "cannot write: \(String(cString: strerror(errno))); "
                     + "what it leads to is full or closed, so give the sink a file path instead of -")
    }
}
