import StageKit

/// The stages that ship with sergraph.
public enum BuiltinStages {
    /// Every built-in stage type. The JACK stages of a graph join the session its run offers
    /// through `StageContext.services`.
    public static func all() -> [StageFactory] {
        [
            StageFactory(FileSource.self),
            StageFactory(ToneSource.self),
            StageFactory(Resample.self),
            StageFactory(Gain.self),
            StageFactory(Level.self),
            StageFactory(LogMel.self),
            StageFactory(MFCC.self),
            StageFactory(Prosody.self),
            StageFactory(NpySink.self),
            StageFactory(DecisionWindow.self),
            StageFactory(VoiceActivity.self),
            StageFactory(SpeechGate.self),
            StageFactory(Smoother.self),
            StageFactory(OSCSink.self),
            StageFactory(Wav2Vec2Stage.self, check: Wav2Vec2Stage.check),
            StageFactory(Wav2Vec2ClassifierStage.self, check: Wav2Vec2ClassifierStage.check),
            StageFactory(Wav2Vec2EarlyExitStage.self, check: Wav2Vec2EarlyExitStage.check),
            StageFactory(StudentStage.self, check: StudentStage.check),
            StageFactory(AudioFileSink.self),
            StageFactory(JSONLinesSink.self),
            StageFactory(CSVSink.self),
            StageFactory(JackCapture.self),
            StageFactory(JackPlayback.self),
        ]
    }
}
