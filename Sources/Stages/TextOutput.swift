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
                throw StageError.file(path: path, message: String(cString: strerror(errno)))
            }
            file = opened
            isStandardOutput = false
        }
    }

    deinit {
        if let file, !isStandardOutput { fclose(file) }
    }

    /// Writes `line` and a newline.
    func write(line: String) throws {
        guard let file else { throw StageError.file(path: path, message: "written after it was closed") }
        guard fputs(line + "\n", file) >= 0 else {
            throw StageError.file(path: path, message: String(cString: strerror(errno)))
        }
        if isStandardOutput { fflush(file) }
    }

    /// Flushes and closes the file (standard output stays open); a second call does nothing.
    func close() throws {
        guard let file else { return }
        if isStandardOutput {
            fflush(file)
            return
        }
        self.file = nil
        if fclose(file) != 0 {
            throw StageError.file(path: path, message: String(cString: strerror(errno)))
        }
    }
}
