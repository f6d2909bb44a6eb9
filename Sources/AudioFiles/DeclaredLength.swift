import CSndFile

/// The frames a WAV or AIFF header declares in its data chunk, which libsndfile quietly cuts
/// to what the file holds: comparing the two finds a truncated file. nil for other containers,
/// for sample encodings without a fixed size, and for the lengths streaming recorders write
/// when they do not know it (0, 0x7FFFFFFF, 0xFFFFFFFF).
func declaredFrames(of handle: OpaquePointer, _ info: SF_INFO) -> Int64? {
    let container = info.format & Int32(SF_FORMAT_TYPEMASK)
    let (chunk, preamble): (String, Int64)
    switch container {
    case Int32(SF_FORMAT_WAV), Int32(SF_FORMAT_WAVEX): (chunk, preamble) = ("data", 0)
    case Int32(SF_FORMAT_AIFF): (chunk, preamble) = ("SSND", 8)  // offset and block size precede the samples
    default: return nil
    }
    let bytesPerSample: Int64
    switch info.format & Int32(SF_FORMAT_SUBMASK) {
    case Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8), Int32(SF_FORMAT_ULAW), Int32(SF_FORMAT_ALAW): bytesPerSample = 1
    case Int32(SF_FORMAT_PCM_16): bytesPerSample = 2
    case Int32(SF_FORMAT_PCM_24): bytesPerSample = 3
    case Int32(SF_FORMAT_PCM_32), Int32(SF_FORMAT_FLOAT): bytesPerSample = 4
    case Int32(SF_FORMAT_DOUBLE): bytesPerSample = 8
    default: return nil
    }
    var query = SF_CHUNK_INFO()
    withUnsafeMutableBytes(of: &query.id) { id in
        for (index, byte) in chunk.utf8.enumerated() { id[index] = byte }
    }
    query.id_size = UInt32(chunk.utf8.count)
    guard let iterator = sf_get_chunk_iterator(handle, &query), sf_get_chunk_size(iterator, &query) == 0 else { return nil }
    guard ![0, 0x7FFF_FFFF, 0xFFFF_FFFF].contains(query.datalen) else { return nil }
    return max(0, Int64(query.datalen) - preamble) / (bytesPerSample * Int64(info.channels))
}
