/// The confusion matrix as a picture: one square per (truth, decision), shaded by the share
/// of the truth's clips it holds, with the count and the share written in it.
extension ClassificationReport {
    public func confusionPicture(title: String) -> PNGImage {
        let scale = 2, line = (BitmapFont.height + 3) * scale
        let labelWidth = labels.map { PNGImage.textWidth($0, scale: scale) }.max() ?? 0
        let cell = max(72, labelWidth + 12)
        let left = labelWidth + 24 + line, top = 3 * line + 16
        let size = cell * labels.count
        var image = PNGImage(width: max(left + size + 16, PNGImage.textWidth(title) + 32), height: top + size + line + 24)
        image.draw(title, x: 16, y: 12)
        image.draw("PREDICTED", x: left + (size - PNGImage.textWidth("PREDICTED")) / 2, y: 12 + line)
        image.draw("TRUE", x: 16, y: top + size + 12)
        for (index, label) in labels.enumerated() {
            image.draw(label, x: left + index * cell + (cell - PNGImage.textWidth(label)) / 2, y: top - line - 4)
            image.draw(label, x: left - PNGImage.textWidth(label) - 12, y: top + index * cell + (cell - BitmapFont.height * scale) / 2)
        }
        for row in labels.indices {
            for column in labels.indices {
                let share = support[row] > 0 ? Double(confusion[row][column]) / Double(support[row]) : 0
                // White to a deep blue.
                func channel(_ dark: Double) -> UInt8 { UInt8((255 - share * (255 - dark)).rounded()) }
                let (x, y) = (left + column * cell, top + row * cell)
                image.fill(x: x, y: y, width: cell, height: cell, color: (channel(24), channel(70), channel(140)))
                image.fill(x: x, y: y, width: cell, height: 1, color: (200, 200, 200))
                image.fill(x: x, y: y, width: 1, height: cell, color: (200, 200, 200))
                let ink: (UInt8, UInt8, UInt8) = share > 0.5 ? (255, 255, 255) : (0, 0, 0)
                let count = String(confusion[row][column]), percent = "\(Int((share * 100).rounded()))%"
                image.draw(count, x: x + (cell - PNGImage.textWidth(count)) / 2, y: y + cell / 2 - line, color: ink)
                image.draw(percent, x: x + (cell - PNGImage.textWidth(percent)) / 2, y: y + cell / 2 + 2, color: ink)
            }
        }
        image.fill(x: left, y: top + size, width: size, height: 1, color: (200, 200, 200))
        image.fill(x: left + size, y: top, width: 1, height: size + 1, color: (200, 200, 200))
        return image
    }
}
