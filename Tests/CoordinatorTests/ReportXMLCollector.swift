import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects elements, attributes and text of an XML document, to check SVG output.
final class XMLCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    static func parse(_ svg: String) -> (ok: Bool, collector: XMLCollector, error: String) {
        let c = XMLCollector()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = c
        let ok = p.parse()
        return (ok, c, p.parserError.map { "\($0)" } ?? "")
    }
}
