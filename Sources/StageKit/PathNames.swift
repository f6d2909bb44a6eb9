/// The folder part of `path`: "a/b" → "a", "/a" → "/", "a" → "", trailing slashes ignored.
///
/// What `NSString.deletingLastPathComponent` gives, without its trap: on Linux, Foundation's
/// version crashes on any one-character path (`-o f`, a model folder `m`), so sergraph uses
/// this one everywhere.
public func parentFolder(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "" }
    guard slash != trimmed.startIndex else { return "/" }
    var parent = trimmed[..<slash]
    while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
    return String(parent)
}
