import CJack
import Foundation

/// A second JACK client for the tests: plays a known signal from `tester:out` and records
/// what arrives at `tester:in` into a preallocated buffer; `tester:reference` takes what the
/// reference client sends back, unrecorded, so that both clients sit alike in the graph.
final class SignalClient: @unchecked Sendable {
    /// What the client plays: the sample for each of its frames, counted from activation.
    enum Signal {
        /// A ramp of distinct non-zero values, so that any offset or lost sample shows.
        case ramp
        /// A sine of `frequency` Hz and peak `amplitude`.
        case sine(frequency: Double, amplitude: Double)
        /// That sine with NaN at every `every`-th frame and +infinity at the frame after it.
        case sineWithNonFinite(frequency: Double, amplitude: Double, every: Int)
        /// A recording (at the server's rate), played over and over.
        case loop([Float])
    }

    let client: OpaquePointer
    let output: OpaquePointer
    let input: OpaquePointer
    let referenceInput: OpaquePointer
    let sampleRate: Double
    let recording: UnsafeMutablePointer<Float>
    let capacity: Int
    let signal: Signal
    /// Frames played (and recorded) so far; written by the callback only.
    var frames = 0

    init(server: String, signal: Signal, seconds: Double = 10) throws {
        var status = JackStatus(rawValue: 0)
        guard let client = sergraph_jack_client_open("tester", JackOptions(rawValue: JackNoStartServer.rawValue), &status, server) else {
            throw JackServer.ServerError(description: "tester cannot join \(server): status \(status.rawValue)")
        }
        self.client = client
        output = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, UInt(JackPortIsOutput.rawValue), 0)!
        input = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, UInt(JackPortIsInput.rawValue), 0)!
        referenceInput = jack_port_register(client, "reference", JACK_DEFAULT_AUDIO_TYPE, UInt(JackPortIsInput.rawValue), 0)!
        sampleRate = Double(jack_get_sample_rate(client))
        capacity = Int(seconds * sampleRate)
        recording = .allocate(capacity: capacity)
        recording.initialize(repeating: 0, count: capacity)
        self.signal = signal
        jack_set_process_callback(client, signalClientCallback, Unmanaged.passUnretained(self).toOpaque())
        jack_activate(client)
    }

    /// The sample played at frame `index`.
    func sample(at index: Int) -> Float {
        switch signal {
        case .ramp: return Float((index & 0xFFFFF) + 1) / 1_048_576
        case .sine(let frequency, let amplitude): return Float(amplitude * sin(2 * .pi * frequency * Double(index) / sampleRate))
        case .loop(let samples): return samples.isEmpty ? 0 : samples[index % samples.count]
        case .sineWithNonFinite(let frequency, let amplitude, let every):
            switch index % every {
            case 0: return .nan
            case 1: return .infinity
            default: return Float(amplitude * sin(2 * .pi * frequency * Double(index) / sampleRate))
            }
        }
    }

    /// What has been recorded so far.
    var recorded: [Float] { Array(UnsafeBufferPointer(start: recording, count: min(frames, capacity))) }

    func close() {
        jack_deactivate(client)
        jack_client_close(client)
    }

    deinit { recording.deallocate() }
}

private let signalClientCallback: JackProcessCallback = { count, context in
    let client = Unmanaged<SignalClient>.fromOpaque(context!).takeUnretainedValue()
    let frames = Int(count)
    let out = jack_port_get_buffer(client.output, count)!.assumingMemoryBound(to: Float.self)
    let input = jack_port_get_buffer(client.input, count)!.assumingMemoryBound(to: Float.self)
    for frame in 0..<frames {
        out[frame] = client.sample(at: client.frames + frame)
        if client.frames + frame < client.capacity { client.recording[client.frames + frame] = input[frame] }
    }
    client.frames += frames
    return 0
}
