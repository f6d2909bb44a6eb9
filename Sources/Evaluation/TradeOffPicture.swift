/// One point of an accuracy/cost trade-off: a model variant (an exit, a policy), its cost and
/// its accuracy.
public struct TradeOffPoint: Sendable, Equatable {
    /// What the point is, written beside it ("exit 8", "auto").
    public var name: String
    /// The cost: CPU milliseconds per second of audio.
    public var cost: Double
    /// Unweighted and weighted accuracy, 0...1.
    public var ua: Double
    public var wa: Double

    public init(name: String, cost: Double, ua: Double, wa: Double) {
        self.name = name
        self.cost = cost
        self.ua = ua
        self.wa = wa
    }
}

/// The trade-off as a picture: UA (blue, joined in the order given) and WA (orange) against the
/// cost, each point named; `extra` points (e.g. the confidence policy) in red, not joined.
public func tradeOffPicture(title: String, curve: [TradeOffPoint], extra: [TradeOffPoint] = []) -> PNGImage {
    let (left, top, plotWidth, plotHeight) = (96, 72, 560, 360)
    let names = (curve + extra).map { PNGImage.textWidth($0.name) }.max() ?? 0
    var image = PNGImage(width: max(left + plotWidth + 24 + min(names, 480), PNGImage.textWidth(title) + 32), height: top + plotHeight + 80)
    image.draw(title, x: 16, y: 12)
    image.draw("UA", x: 16, y: 12 + 22, color: (24, 70, 160))
    image.draw("WA", x: 16 + PNGImage.textWidth("UA  "), y: 12 + 22, color: (220, 120, 20))
    let largest = (curve + extra).map(\.cost).max() ?? 1
    let span = niceCeiling(largest > 0 ? largest : 1)
    func x(_ cost: Double) -> Int { left + Int((cost / span * Double(plotWidth)).rounded()) }
    func y(_ fraction: Double) -> Int { top + plotHeight - Int((min(max(fraction, 0), 1) * Double(plotHeight)).rounded()) }
    let grid: (UInt8, UInt8, UInt8) = (220, 220, 220)
    for step in 0...4 {
        let fraction = Double(step) / 4
        image.fill(x: left, y: y(fraction), width: plotWidth, height: 1, color: grid)
        let label = formatFraction(fraction)
        image.draw(label, x: left - PNGImage.textWidth(label) - 8, y: y(fraction) - 7)
        let cost = span * fraction
        image.fill(x: x(cost), y: top, width: 1, height: plotHeight, color: grid)
        let costLabel = cost == cost.rounded() ? String(Int(cost)) : String(format: "%.3g", cost)
        image.draw(costLabel, x: x(cost) - PNGImage.textWidth(costLabel) / 2, y: top + plotHeight + 8)
    }
    let axis = "CPU MS PER SECOND OF AUDIO"
    image.draw(axis, x: left + (plotWidth - PNGImage.textWidth(axis)) / 2, y: top + plotHeight + 32)
    for (series, color) in [(\TradeOffPoint.wa, (UInt8(220), UInt8(120), UInt8(20))), (\TradeOffPoint.ua, (24, 70, 160))] {
        for (from, to) in zip(curve, curve.dropFirst()) {
            image.line(from: (x(from.cost), y(from[keyPath: series])), to: (x(to.cost), y(to[keyPath: series])), color: color)
        }
        for point in curve { image.fill(x: x(point.cost) - 3, y: y(point[keyPath: series]) - 3, width: 7, height: 7, color: color) }
    }
    // Names above and below the points by turns, so that neighbours do not overlap.
    for (index, point) in curve.enumerated() { image.draw(point.name, x: x(point.cost) + 8, y: y(point.ua) + (index % 2 == 0 ? -20 : 8)) }
    for point in extra {
        image.fill(x: x(point.cost) - 4, y: y(point.ua) - 4, width: 9, height: 9, color: (200, 30, 30))
        image.fill(x: x(point.cost) - 3, y: y(point.wa) - 3, width: 7, height: 7, color: (200, 30, 30))
        image.draw(point.name, x: x(point.cost) + 8, y: y(point.ua) + 6, color: (200, 30, 30))
    }
    return image
}

/// The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `value`.
func niceCeiling(_ value: Double) -> Double {
    var power = 1.0
    while power * 10 < value { power *= 10 }
    while power > value { power /= 10 }
    return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= value } ?? value
}

extension PNGImage {
    /// A one-pixel line between two points.
    mutating func line(from start: (Int, Int), to end: (Int, Int), color: (UInt8, UInt8, UInt8)) {
        let steps = max(abs(end.0 - start.0), abs(end.1 - start.1), 1)
        for step in 0...steps {
            let fraction = Double(step) / Double(steps)
            fill(x: start.0 + Int((Double(end.0 - start.0) * fraction).rounded()),
                 y: start.1 + Int((Double(end.1 - start.1) * fraction).rounded()), width: 2, height: 2, color: color)
        }
    }
}
