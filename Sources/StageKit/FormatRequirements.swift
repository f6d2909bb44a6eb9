/// Checks a stage's `prepare` makes on the formats it receives, with errors that name the
/// port and say how to fix the graph.
extension StreamFormat {
    /// Requires audio at exactly `rate` Hz on input `port`.
    /// - Throws: `StageError.format` suggesting a `resample` stage.
    public func require(sampleRate rate: Double, port: String) throws {
        guard kind == .audio else {
            throw StageError.format(port: port, message: "needs audio, got \(self)")
        }
        guard sampleRate == rate else {
            throw StageError.format(port: port, message: "needs \(rate.formatted) Hz audio but receives \(sampleRate.formatted) Hz; put `resample: {rate: \(rate.formatted)}` before it")
        }
    }

    /// Requires `count` channels on input `port`.
    /// - Throws: `StageError.format` suggesting a mix-down.
    public func require(channels count: Int, port: String) throws {
        guard width == count else {
            throw StageError.format(port: port, message: "needs \(count) channel(s) but receives \(width); read the file with `channel: mix` or pick one channel")
        }
    }
}
