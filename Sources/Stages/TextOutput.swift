import Foundation
import StageKit

/// A text file written line by line under a temporary name (committed by the engine at the
/// end of the run), or standard output when the path is "-", flushed after every line.
final class TextOutput {
    private let file: UnsafeMutablePointer<FILE>
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

    /// Writes `line` and a newline.
    func write(line: String) throws {
        guard fputs(line + "\n", file) >= 0 else {
            throw StageError.file(path: path, message: String(cString: strerror(errno)))
        }
        if isStandardOutput { fflush(file) }
    }

    /// Flushes and closes the file (standard output stays open).
    func close() throws {
        if isStandardOutput {
            fflush(file)
        } else if fclose(file) != 0 {
            throw StageError.file(path: path, message: String(cString: strerror(errno)))
        }
    }
}
