/// The 64-bit FNV-1a hash of `text`'s UTF-8 bytes: stable across runs, machines and Swift
/// versions (unlike `hashValue`), for names of caches and the choice of shards. Not cryptographic.
public func fnv1a64(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
