import StageKit

/// The value of `parameter`, a length in seconds of a stage that frames its input (frame,
/// hop), as whole samples at `sampleRate`.
/// - Throws: `StageError.format` naming `port`, the parameter and the values when it comes to
///   no sample at all, or to more than a frame can hold.
func frameLength(_ parameter: Parameter<Double>, in parameters: Parameters, sampleRate: Double, port: String = "in") throws -> Int {
    let seconds = parameters[parameter]
    let samples = (seconds * sampleRate).rounded()
    guard samples >= 1, samples <= Double(Int32.max) else {
        throw StageError.format(port: port, message: "\(parameter.name) \(seconds.formatted) s at \(sampleRate.formatted) Hz is "
                                + "\(samples.formatted) samples; it needs at least 1 (resample to a higher rate, or lengthen \(parameter.name))")
    }
    return Int(samples)
}
