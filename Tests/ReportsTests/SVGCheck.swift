import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Support

/// A strict XML check of an SVG file with Foundation's parser: the root element, every text node, polyline and polygon counts.
enum SVGCheck {
    struct Parsed {
        var root = ""
        var texts: [String] = []
        var polylines = 0
        var polygons = 0
    }

    final class Delegate: NSObject, XMLParserDelegate {
        var parsed = Parsed()
        var inText = false
        var current = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if parsed.root.isEmpty { parsed.root = name }
            if name == "polyline" { parsed.polylines += 1 }
            if name == "polygon" { parsed.polygons += 1 }
            if name == "text" { inText = true; current = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { inText = false; parsed.texts.append(current) }
        }
    }

    /// Parses the file; throws when it is not well-formed XML.
    static func parse(_ path: String) throws -> Parsed {
        try parse(data: try Data(contentsOf: URL(fileURLWithPath: path)), name: path)
    }

    static func parse(data: Data, name: String) throws -> Parsed {
        let parser = XMLParser(data: data)
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else {
            throw DDError("\(name): not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error") at line \(parser.lineNumber)")
        }
        return delegate.parsed
    }
}
