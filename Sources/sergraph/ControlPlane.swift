import Foundation
import SERGraph
import StageKit

/// A live run's control plane: the socket `sergraph ctl` talks to, SIGHUP reloading every
/// model, and the folder watches of stages with `watch: true`.
final class ControlPlane {
    private let server: ControlServer
    private let hangup: DispatchSourceSignal
    private let watch: ModelFolderWatch

    /// Where `sergraph ctl` reaches it.
    var path: String { server.path }

    /// Listens at `path` for requests about `pipeline`; `runStatus` adds the run's own figures.
    /// - Throws: `ControlError` when the socket cannot be had.
    init(pipeline: Pipeline, path: String, runStatus: @escaping @Sendable () -> [String: Any]) throws {
        let controller = PipelineController(pipeline: pipeline, report: { printError($0) }, runStatus: runStatus)
        server = try ControlServer(path: path) { controller.handle($0) }
        signal(SIGHUP, SIG_IGN)
        hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            for (stage, outcome) in controller.reloadAll() {
                if case .success(let swap) = outcome {
                    printError("SIGHUP: stage '\(stage)' reloaded \(swap.model.path) (hash \(swap.model.contentHash))")
                }
            }
        }
        hangup.resume()
        let watched = pipeline.watchedModelFolders
        watch = ModelFolderWatch(watched) { stage in
            guard let folder = watched.first(where: { $0.stage == stage })?.folder else { return }
            if let swap = try? controller.swap(stage: stage, folder: folder) {
                printError("watch: stage '\(stage)' reloaded \(swap.model.path) (hash \(swap.model.contentHash))")
            }
        }
    }

    /// Stops listening and watching.
    func close() {
        watch.stop()
        hangup.cancel()
        server.close()
    }
}
