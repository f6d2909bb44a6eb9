/// The average of every channel of interleaved audio, as one channel.
public func mixToMono(_ interleaved: [Float], channels: Int) -> [Float] {
    guard channels > 1 else { return interleaved }
    let scale = 1 / Float(channels)
    return (0..<(interleaved.count / channels)).map { frame in
        interleaved[(frame * channels)..<((frame + 1) * channels)].reduce(0, +) * scale
    }
}
