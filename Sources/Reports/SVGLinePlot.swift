import Support

/// One named line of a plot.
public struct PlotSeries {
    public var name: String
    /// Points in data units; non-finite points break the line.
    public var points: [(x: Double, y: Double)]
    /// Draw a dot at every point (sparse data such as evaluations).
    public var markers: Bool
    public var dashed: Bool
    /// Hold each value until the next point (a staircase), for quantities that change in jumps per step.
    public var stairs: Bool
    /// Palette index; nil takes the series' position (a run keeps its colour across figures this way).
    public var colour: Int?
    /// A shaded range around the line (e.g. min–max over seeds), drawn under it; empty for none.
    public var band: [(x: Double, low: Double, high: Double)]

    /// A series; by default a plain solid line.
    public init(name: String, points: [(x: Double, y: Double)], markers: Bool = false, dashed: Bool = false, stairs: Bool = false,
                colour: Int? = nil, band: [(x: Double, low: Double, high: Double)] = []) {
        self.colour = colour
        self.band = band
        self.name = name
        self.points = points
        self.markers = markers
        self.dashed = dashed
        self.stairs = stairs
    }
}

/// A line chart: title, two labelled axes with ticks and grid lines, lines, and a legend on the right.
/// `panel` draws it into a rectangle of a larger canvas (small multiples); `svg` makes a standalone file.
public struct SVGLinePlot {
    public var title: String
    public var x: SVGAxis
    public var y: SVGAxis
    public var series: [PlotSeries]
    /// Palette index of the first series (a panel showing run i alone keeps run i's colour).
    public var firstColour = 0

    /// Colour-blind-safe categorical palette (Okabe–Ito, then darker variants); series cycle through it.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                                 "#882255", "#44AA99", "#999933", "#AA4499", "#332288"]

    /// A plot whose axes cover every point of `series`.
    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                series: [PlotSeries], xIncludesZero: Bool = false) {
        self.title = title
        self.series = series
        x = SVGAxis(label: xLabel, scale: xScale, values: series.flatMap { $0.points.map(\.x) + $0.band.map(\.x) },
                    includeZero: xIncludesZero)
        y = SVGAxis(label: yLabel, scale: yScale, values: series.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } })
    }

    /// A standalone SVG document with the legend to the right of the plot area.
    public func svg(width: Double = 900, height: Double = 500) -> String {
        let longest = series.map(\.name.count).max() ?? 0
        let legendWidth = series.count > 1 ? min(320, 40 + 6.6 * Double(longest)) : 0
        var canvas = SVGCanvas(width: width, height: height)
        panel(into: &canvas, x: 0, y: 0, width: width - legendWidth, height: height)
        if legendWidth > 0 { legend(into: &canvas, x: width - legendWidth, y: 44) }
        return canvas.document
    }

    /// Draws title, axes, grid and lines inside the rectangle (x, y, width, height) of `canvas`.
    public func panel(into canvas: inout SVGCanvas, x left: Double, y top: Double, width: Double, height: Double,
                      titleSize: Double = 15) {
        let plotLeft = left + 74, plotRight = left + width - 16, plotTop = top + 40, plotBottom = top + height - 52
        canvas.text(title, x: left + width / 2, y: top + 24, size: titleSize, anchor: "middle", bold: true)
        canvas.rect(x: plotLeft, y: plotTop, width: plotRight - plotLeft, height: plotBottom - plotTop, fill: "#ffffff", stroke: "#444444")
        for t in x.ticks {
            let px = x.position(t, from: plotLeft, to: plotRight)
            canvas.line(px, plotTop, px, plotBottom, stroke: "#e3e3e3")
            canvas.line(px, plotBottom, px, plotBottom + 5, stroke: "#444444")
            canvas.text(x.tickLabel(t), x: px, y: plotBottom + 19, size: 11, anchor: "middle")
        }
        for t in y.ticks {
            let py = y.position(t, from: plotBottom, to: plotTop)
            canvas.line(plotLeft, py, plotRight, py, stroke: "#e3e3e3")
            canvas.line(plotLeft - 5, py, plotLeft, py, stroke: "#444444")
            canvas.text(y.tickLabel(t), x: plotLeft - 8, y: py + 4, size: 11, anchor: "end")
        }
        canvas.text(x.label, x: (plotLeft + plotRight) / 2, y: plotBottom + 42, size: 12, anchor: "middle")
        let yLabelX = left + 18, yLabelY = (plotTop + plotBottom) / 2
        canvas.text(y.label, x: yLabelX, y: yLabelY, size: 12, anchor: "middle", rotate: -90)
        for (i, s) in series.enumerated() where !s.band.isEmpty {
            let colour = SVGLinePlot.palette[(s.colour ?? (i + firstColour)) % SVGLinePlot.palette.count]
            let drawn = s.band.filter { x.accepts($0.x) && y.accepts($0.low) && y.accepts($0.high) }
            let upper = drawn.map { (x.position($0.x, from: plotLeft, to: plotRight), y.position($0.high, from: plotBottom, to: plotTop)) }
            let lower = drawn.map { (x.position($0.x, from: plotLeft, to: plotRight), y.position($0.low, from: plotBottom, to: plotTop)) }
            canvas.polygon(upper + lower.reversed(), fill: colour, opacity: 0.18)
        }
        for (i, s) in series.enumerated() {
            let colour = SVGLinePlot.palette[(s.colour ?? (i + firstColour)) % SVGLinePlot.palette.count]
            var run: [(Double, Double)] = []
            func flush() {
                canvas.polyline(run, stroke: colour, width: 1.8, dash: s.dashed ? "6 4" : nil)
                run.removeAll()
            }
            for p in s.points {
                guard x.accepts(p.x), y.accepts(p.y) else { flush(); continue }
                let px = x.position(p.x, from: plotLeft, to: plotRight), py = y.position(p.y, from: plotBottom, to: plotTop)
                if s.stairs, let last = run.last { run.append((px, last.1)) }
                run.append((px, py))
                if s.markers { canvas.circle(px, py, radius: 2.8, fill: colour) }
            }
            flush()
        }
    }

    /// The legend: a swatch (line, with a dot for marked series) and the name of every series.
    public func legend(into canvas: inout SVGCanvas, x: Double, y: Double) {
        canvas.text("legend", x: x + 6, y: y, size: 11, bold: true, fill: "#555555")
        for (i, s) in series.enumerated() {
            let colour = SVGLinePlot.palette[(s.colour ?? (i + firstColour)) % SVGLinePlot.palette.count]
            let rowY = y + 20 + 19 * Double(i)
            if !s.band.isEmpty {
                canvas.polygon([(x + 6, rowY - 10), (x + 30, rowY - 10), (x + 30, rowY + 2), (x + 6, rowY + 2)], fill: colour, opacity: 0.18)
            }
            canvas.line(x + 6, rowY - 4, x + 30, rowY - 4, stroke: colour, width: 2.5, dash: s.dashed ? "6 4" : nil)
            if s.markers { canvas.circle(x + 18, rowY - 4, radius: 3, fill: colour) }
            canvas.text(s.name, x: x + 36, y: rowY, size: 11)
        }
    }
}

/// Several plots side by side in one file (one panel per run), sharing a title.
public enum SVGPanels {
    /// Lays `plots` out in `columns` columns of panels of the given size, under `title`.
    public static func svg(title: String, plots: [SVGLinePlot], columns: Int = 2, panelWidth: Double = 460,
                           panelHeight: Double = 300) -> String {
        let cols = max(1, min(columns, plots.count))
        let rows = (plots.count + cols - 1) / cols
        var canvas = SVGCanvas(width: Double(cols) * panelWidth, height: 40 + Double(max(rows, 1)) * panelHeight)
        canvas.text(title, x: canvas.width / 2, y: 26, size: 16, anchor: "middle", bold: true)
        for (i, p) in plots.enumerated() {
            p.panel(into: &canvas, x: Double(i % cols) * panelWidth, y: 40 + Double(i / cols) * panelHeight,
                    width: panelWidth, height: panelHeight, titleSize: 13)
        }
        return canvas.document
    }
}
