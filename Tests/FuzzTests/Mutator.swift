import Foundation

/// A small deterministic pseudo-random generator (SplitMix64): the same seed gives the same
/// inputs on every machine, so a crash found once is found again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Makes new inputs from seed inputs: byte-level changes (flips, interesting integers written
/// over fields, insertions, deletions, splices) and, for text formats, token-level changes
/// (numbers and scalars replaced by boundary values, lines dropped, repeated or swapped).
struct Mutator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// Values at the edges of what parsers and size computations expect.
    static let interestingNumbers = [
        "0", "-1", "1", "2", "3", "7", "-0", "0.5", "1.5", "255", "256", "65535", "65536", "100000000",
        "2147483647", "-2147483648", "4294967296", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e308", "-1e308", "1e-308", "1e400", "nan", "-inf", ".inf", ".nan", "-.inf",
    ]
    static let interestingScalars = ["\"\"", "~", "null", "[]", "{}", "[1,2]", "{a: 1}", "true", "\"\\u0000\"", "..", "/", "-", "\"{stem}/../..\""]

    /// One mutated copy of `input`; `headerBytes` concentrates byte changes at the start, where
    /// binary formats keep their sizes and counts.
    mutating func mutateBytes(_ input: [UInt8], headerBytes: Int = 64, splicing others: [[UInt8]] = []) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { return [UInt8.random(in: 0...255, using: &random)] }
            let span = Bool.random(using: &random) && headerBytes > 0 ? min(headerBytes, bytes.count) : bytes.count
            let at = Int.random(in: 0..<span, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0: bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 2: overwrite(&bytes, at: at, with: interestingInteger(bytes: [1, 2, 4, 8].randomElement(using: &random)!))
            case 3: bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...32, using: &random)))
            case 5: bytes = Array(bytes.prefix(at))
            default:
                if let other = others.randomElement(using: &random), !other.isEmpty {
                    let from = Int.random(in: 0..<other.count, using: &random)
                    bytes = Array(bytes.prefix(at)) + other[from...]
                }
            }
        }
        return bytes
    }

    /// One mutated copy of a text input (YAML, JSON): tokens replaced by boundary values, lines
    /// dropped, repeated or swapped, and now and then a byte-level change.
    mutating func mutateText(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard !lines.isEmpty else { break }
            let at = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1, 2: lines[at] = replacingToken(in: lines[at], numbers: true)
            case 3: lines[at] = replacingToken(in: lines[at], numbers: false)
            case 4: lines.remove(at: at)
            case 5: lines.insert(lines[at], at: at)
            case 6: lines.swapAt(at, Int.random(in: 0..<lines.count, using: &random))
            default: return String(decoding: mutateBytes(Array(lines.joined(separator: "\n").utf8), headerBytes: 0), as: UTF8.self)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `line` with one number (or, with `numbers` false, one value after a `:`) replaced.
    private mutating func replacingToken(in line: String, numbers: Bool) -> String {
        let characters = Array(line)
        var runs: [Range<Int>] = []
        var index = 0
        while index < characters.count {
            let isToken: (Character) -> Bool = numbers ? { $0.isNumber || $0 == "." || $0 == "-" || $0 == "e" } : { $0 != "," && $0 != "}" && $0 != "]" }
            let starts = numbers ? characters[index].isNumber : (index > 0 && characters[index - 1] == ":" && characters[index] == " ")
            if starts {
                var end = index + (numbers ? 0 : 1)
                while end < characters.count, isToken(characters[end]) { end += 1 }
                if end > index { runs.append(index..<end) }
                index = max(end, index + 1)
            } else {
                index += 1
            }
        }
        guard let run = runs.randomElement(using: &random) else { return line }
        let replacement = numbers ? Self.interestingNumbers.randomElement(using: &random)!
            : " " + (Self.interestingScalars + Self.interestingNumbers).randomElement(using: &random)!
        return String(characters[..<run.lowerBound]) + replacement + String(characters[run.upperBound...])
    }

    private mutating func interestingInteger(bytes count: Int) -> [UInt8] {
        let values: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                0x7FFF_FFFF_FFFF_FFFF, UInt64.max, UInt64(Int.random(in: 2...1 << 20, using: &random))]
        let value = values.randomElement(using: &random)!
        return (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private func overwrite(_ bytes: inout [UInt8], at: Int, with field: [UInt8]) {
        for (offset, byte) in field.enumerated() where at + offset < bytes.count { bytes[at + offset] = byte }
    }
}
