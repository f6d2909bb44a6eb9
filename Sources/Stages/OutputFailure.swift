import ArrayFiles
import AudioFiles
import StageKit

/// A file writer's error, with the system's error number when the system refused.
protocol WriterFailure: Error {
    var reason: String { get }
    var code: Int32? { get }
}

extension NpyError: WriterFailure {}
extension AudioFileError: WriterFailure {}

/// Runs `body`, turning a writer's failure into an error that names the output `path` (not its
/// temporary file) and, when the system refused, says what to do.
func naming<T>(output path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as WriterFailure {
        throw StageError.file(path: path, message: error.reason + (error.code.map { ": " + fileProblem(errno: $0) } ?? ""))
    }
}
