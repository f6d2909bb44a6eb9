/// The comparison as a bar chart: for each labelled fraction a group of bars, one per method, the
/// mean UA as height with a whisker of ± one standard deviation, its value above; a legend of the
/// methods' short names (`legend`, by method key; the font has capitals, digits and a little punctuation).
extension ComparisonTable {
    public func picture(title: String, legend: [String: String] = [:]) -> PNGImage {
        let palette: [(UInt8, UInt8, UInt8)] = [(120, 120, 120), (214, 140, 40), (230, 190, 90), (40, 110, 180), (60, 150, 210),
                                                (120, 190, 235), (170, 60, 60), (90, 160, 90), (150, 100, 170)]
        let fractions = rows.reduce(into: [Double]()) { if !$0.contains($1.fraction) { $0.append($1.fraction) } }
        let scale = 2, line = (BitmapFont.height + 4) * scale
        let bar = 28, gap = 6, groupGap = 40
        let plotHeight = 300, left = 70, top = 3 * line
        let groupWidth = methods.count * (bar + gap) - gap
        let plotWidth = fractions.count * (groupWidth + groupGap) + groupGap
        let legendWidth = (methods.map { PNGImage.textWidth(legend[$0] ?? $0) }.max() ?? 0) + 40
        var image = PNGImage(width: max(left + plotWidth + legendWidth + 20, PNGImage.textWidth(title) + 32),
                             height: top + plotHeight + 3 * line + 16)
        image.draw(title, x: 16, y: 12)
        for step in 0...5 {
            let value = Double(step) / 5
            let y = top + plotHeight - Int(value * Double(plotHeight))
            image.fill(x: left, y: y, width: plotWidth, height: 1, color: step == 0 ? (0, 0, 0) : (220, 220, 220))
            let label = String(format: "%.1f", value)
            image.draw(label, x: left - PNGImage.textWidth(label) - 8, y: y - BitmapFont.height)
        }
        image.draw("UA", x: 16, y: top - line)
        func height(_ value: Double) -> Int { Int((min(max(value, 0), 1) * Double(plotHeight)).rounded()) }
        for (group, fraction) in fractions.enumerated() {
            let x0 = left + groupGap + group * (groupWidth + groupGap)
            let caption = Self.percent(fraction).replacingOccurrences(of: " ", with: "") + " LABELS"
            image.draw(caption, x: x0 + (groupWidth - PNGImage.textWidth(caption)) / 2, y: top + plotHeight + 10)
            for (index, method) in methods.enumerated() {
                guard let row = rows.first(where: { $0.method == method && $0.fraction == fraction }) else { continue }
                let x = x0 + index * (bar + gap), barHeight = height(row.uaMean)
                image.fill(x: x, y: top + plotHeight - barHeight, width: bar, height: barHeight, color: palette[index % palette.count])
                if row.uaStd > 0 {
                    let (high, low) = (height(row.uaMean + row.uaStd), height(row.uaMean - row.uaStd))
                    image.fill(x: x + bar / 2, y: top + plotHeight - high, width: 2, height: high - low + 1, color: (0, 0, 0))
                    image.fill(x: x + bar / 2 - 5, y: top + plotHeight - high, width: 12, height: 2, color: (0, 0, 0))
                    image.fill(x: x + bar / 2 - 5, y: top + plotHeight - low, width: 12, height: 2, color: (0, 0, 0))
                }
                let value = String(format: "%.2f", row.uaMean).replacingOccurrences(of: "0.", with: ".")
                image.draw(value, x: x + (bar - PNGImage.textWidth(value, scale: 1)) / 2,
                           y: top + plotHeight - height(row.uaMean + row.uaStd) - BitmapFont.height - 4, scale: 1)
            }
        }
        for (index, method) in methods.enumerated() {
            let y = top + index * line
            image.fill(x: left + plotWidth + 16, y: y, width: 14, height: 14, color: palette[index % palette.count])
            image.draw(legend[method] ?? method, x: left + plotWidth + 36, y: y)
        }
        return image
    }
}
