import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects elements, attributes and text of an XML document, to check SVG output.
/// (TestSupport: the one XML collector of the tests.)
public final class XMLCollector: NSObject, XMLParserDelegate {
    public var elements: [(name: String, attributes: [String: String])] = []
    public var text = ""
    public func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    public func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    public static func parse(_ svg: String) -> (ok: Bool, collector: XMLCollector, error: String) {
        let c = XMLCollector()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = c
        let ok = p.parse()
        return (ok, c, p.parserError.map { "\($0)" } ?? "")
    }
}
