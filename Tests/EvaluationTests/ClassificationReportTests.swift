import Evaluation
import Foundation
import Testing
import TestSupport

/// UA, WA, macro-F1 and the confusion matrix, against values worked out by hand; the PNG
/// picture, decoded by Python's zlib.
@Suite struct ClassificationReportTests {
    /// Truth a: 4 clips (3 right, 1 decided b); b: 2 clips (1 right, 1 decided a); c: none.
    @Test func measuresAgainstHandWorkedValues() {
        let report = ClassificationReport(labels: ["a", "b", "c"], truths: [0, 0, 0, 0, 1, 1], predictions: [0, 0, 0, 1, 1, 0])
        #expect(report.confusion == [[3, 1, 0], [1, 1, 0], [0, 0, 0]])
        // Recall a 3/4, b 1/2; c has no clips and stays out of the averages.
        #expect(abs(report.unweightedAccuracy - (0.75 + 0.5) / 2) < 1e-12)
        #expect(abs(report.weightedAccuracy - 4.0 / 6) < 1e-12)
        // Precision a 3/4, b 1/2; F1 a 0.75, b 0.5.
        #expect(abs(report.macroF1 - 0.625) < 1e-12)
        let skewed = ClassificationReport(labels: ["a", "b", "c"], truths: [0, 0, 1, 1], predictions: [2, 0, 1, 1])
        // a: recall 1/2, precision 1 → F1 2/3; b: 1 and 1 → 1; c never true: left out though predicted.
        #expect(abs(skewed.macroF1 - (2.0 / 3 + 1) / 2) < 1e-12)
        #expect(abs(skewed.unweightedAccuracy - 0.75) < 1e-12)
        #expect(skewed.precision[2] == 0 && skewed.f1[2] == 0)
        #expect(report.table.split(separator: "\n").count == 4)
        #expect(report.table.contains("      a       3       1       0   0.750"))
    }

    @Test func pictureIsAPNGOfTheMatrix() throws {
        let report = ClassificationReport(labels: ["neutral", "happy"], truths: [0, 0, 1, 1], predictions: [0, 0, 0, 1])
        let image = report.confusionPicture(title: "test")
        let folder = try TemporaryFolder("png")
        let path = folder.file("m.png")
        try image.pngData().write(to: URL(fileURLWithPath: path))
        // Decoded independently: the chunks' CRCs, the size, and the pixels under the top left cell.
        let script = """
            import struct, sys, zlib
            data = open(sys.argv[1], 'rb').read()
            assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
            pos, chunks = 8, {}
            while pos < len(data):
                length, kind = struct.unpack('>I4s', data[pos:pos + 8])
                body = data[pos + 8:pos + 8 + length]
                assert struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
                chunks[kind] = chunks.get(kind, b'') + body
                pos += 12 + length
            width, height, depth, colour = struct.unpack('>IIBB', chunks[b'IHDR'][:10])
            raw = zlib.decompress(chunks[b'IDAT'])
            assert len(raw) == height * (1 + 3 * width)
            print(width, height, depth, colour)
            """
        let result = try runCommand("python3", ["-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(image.width) \(image.height) 8 2")
        // neutral → neutral holds all of its row: the deepest blue; neutral → happy none: white.
        let colours = Set(stride(from: 0, to: image.pixels.count, by: 3).map { [image.pixels[$0], image.pixels[$0 + 1], image.pixels[$0 + 2]] })
        #expect(colours.contains([24, 70, 140]))
        #expect(colours.contains([140, 163, 198]))  // happy → neutral and happy → happy: half, (255 − 0.5·(255 − c))
        #expect(image.width > 200 && image.height > 200)
    }

    /// A rectangle wholly outside the picture paints nothing (it trapped: an empty clipped range
    /// had its lower bound above its upper one, e.g. a label drawn past the right edge).
    @Test func fillingOutsideThePictureIsClipped() {
        var image = PNGImage(width: 10, height: 8)
        let before = image.pixels
        image.fill(x: 12, y: 2, width: 4, height: 2, color: (0, 0, 0))
        image.fill(x: 2, y: 9, width: 4, height: 2, color: (0, 0, 0))
        image.fill(x: -6, y: -6, width: 4, height: 4, color: (0, 0, 0))
        #expect(image.pixels == before)
        image.fill(x: 8, y: 6, width: 5, height: 5, color: (1, 2, 3))
        #expect(image.pixels.filter { $0 == 2 }.count == 4)  // the 2 × 2 corner inside
    }

    /// The trade-off picture: UA points in blue and WA in orange where the values put them, the
    /// extra point in red; a name running past the right edge is clipped.
    @Test func tradeOffPictureMarksEveryPoint() {
        let curve = [TradeOffPoint(name: "exit 1", cost: 10, ua: 0.5, wa: 0.25), TradeOffPoint(name: "exit 3", cost: 20, ua: 1, wa: 0.75)]
        let image = tradeOffPicture(title: "t", curve: curve, extra: [TradeOffPoint(name: String(repeating: "auto ", count: 60), cost: 15, ua: 0.75, wa: 0.5)])
        func colour(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[((y * image.width + x) * 3)..<((y * image.width + x) * 3 + 3)]) }
        // Plot: left 96, top 72, 560 × 360; costs up to 20 → span 20.
        #expect(colour(96 + 280, 72 + 180) == [24, 70, 160])     // exit 1's UA 0.5 at cost 10
        #expect(colour(96 + 560, 72) == [24, 70, 160])           // exit 3's UA 1 at cost 20
        #expect(colour(96 + 280, 72 + 270) == [220, 120, 20])    // exit 1's WA 0.25
        #expect(colour(96 + 420, 72 + 90) == [200, 30, 30])      // auto's UA 0.75 at cost 15
    }
}
