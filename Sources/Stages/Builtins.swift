import StageKit

/// The stages that ship with sergraph.
public enum BuiltinStages {
    /// Every built-in stage type.
    public static let all: [StageFactory] = [
        StageFactory(FileSource.self),
        StageFactory(ToneSource.self),
        StageFactory(Resample.self),
        StageFactory(Gain.self),
        StageFactory(Level.self),
        StageFactory(AudioFileSink.self),
        StageFactory(JSONLinesSink.self),
        StageFactory(CSVSink.self),
    ]
}
