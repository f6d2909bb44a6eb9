/// A stage whose model can be replaced while blocks flow (`sergraph ctl swap`, SIGHUP, `watch`).
///
/// ```
///  control thread                        graph worker (between two blocks)
///  loadModel(folder:) ── PreparedModel ─▶ install(_:) ── the model replaced ─▶ released by the
///   reads, checks, allocates               swaps references only                control thread
/// ```
/// `loadModel` runs off the audio path, after `prepare`: it loads the folder and checks it
/// against the formats agreed then, and builds everything the model needs to run. `install`
/// only exchanges references, so the next block is processed by the new model and none is
/// skipped or processed twice.
public protocol ModelSwapping: Processor {
    /// The model in use: its folder and content hash, as the registry knows it.
    var model: ModelRegistry.Entry? { get }

    /// Loads the model in `folder` through `models` and checks it against the agreed formats.
    /// - Returns: the model ready to run, with the output formats it would produce.
    /// - Throws: what is wrong with the folder (naming the file or tensor) or with its fit to
    ///   the graph (naming the setting).
    func loadModel(from folder: String, models: ModelRegistry) throws -> PreparedModel

    /// Makes `prepared` (from this stage's `loadModel`) the model the next block meets.
    /// - Returns: the model it replaces, for the caller to release off the audio path.
    func install(_ prepared: PreparedModel) -> PreparedModel

    /// The files a complete model folder holds: `watch: true` reloads the model once all of
    /// them are present and have stopped changing.
    static var modelFiles: [String] { get }
}

/// The `watch` parameter of stages whose model can be swapped, declared once for all of them.
public enum ModelWatch {
    /// Reload the model when its folder changes (read by the control plane of a run).
    public static let parameter = Parameter<Bool>("watch", default: false,
                                                  doc: "reload the model when its folder changes (once its files are complete, settled and valid)")
}

/// A model loaded and checked, ready to be installed between two blocks.
public struct PreparedModel: @unchecked Sendable {
    /// Where it came from.
    public var entry: ModelRegistry.Entry
    /// The formats the stage's outputs have with it, in port order.
    public var outputs: [StreamFormat]
    /// Whatever the stage needs to run it (its weights, its buffers), opaque to the engine.
    public var payload: Any

    /// A prepared model.
    public init(entry: ModelRegistry.Entry, outputs: [StreamFormat], payload: Any) {
        self.entry = entry
        self.outputs = outputs
        self.payload = payload
    }
}

/// A stage that takes other labels on an input while blocks flow, when a model swapped upstream
/// answers over another label set: a smoother decides among whichever labels arrive, and an
/// OSC sink names them in each message. A stage that fixed its columns at the start (a `.npy`
/// file's width) does not conform, and a swap that would change its labels is refused naming it.
public protocol LabelFollowing: Processor {
    /// The formats the stage's outputs would have with `format` on input `port`, changing nothing
    /// yet (asked off the audio path, while blocks flow).
    /// - Throws: why the stage cannot take `format`.
    func outputs(following format: StreamFormat, port: Int) throws -> [StreamFormat]

    /// Takes `format` on input `port` from the next block on; called between two blocks, after
    /// `outputs(following:port:)` accepted it.
    func follow(_ format: StreamFormat, port: Int)
}
