import StageKit

/// `seconds` as whole samples at `sampleRate`, for a length parameter of a stage that frames
/// its input (frame, hop).
/// - Throws: `StageError.format` naming `port`, the parameter and the values when it comes to
///   no sample at all, or to more than a frame can hold.
func frameLength(_ parameter: String, seconds: Double, sampleRate: Double, port: String = "in") throws -> Int {
    let samples = (seconds * sampleRate).rounded()
    guard samples >= 1, samples <= Double(Int32.max) else {
        throw StageError.format(port: port, message: "\(parameter) \(seconds.formatted) s at \(sampleRate.formatted) Hz is "
                                + "\(samples.formatted) samples; it needs at least 1 (resample to a higher rate, or lengthen \(parameter))")
    }
    return Int(samples)
}
