import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom'

import { SamlError, SamlErrorCode } from './errors.js'

/** Node type numbers of the DOM. */
const elementNode = 1

/**
 * Parses XML from the network. A document type declaration or entity declaration anywhere is
 * refused before parsing (no DTD is ever read or expanded), as is any parse error.
 */
export function parseUntrustedXml(text: string, what: string): Document {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new SamlError(SamlErrorCode.xmlForbidden, `the ${what} contains a DOCTYPE or ENTITY ` +
      'declaration; SAML messages may not carry a DTD')
  }
  let doc: Document
  try {
    const parser = new DOMParser({
      locator: false,
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message)
      },
    })
    doc = parser.parseFromString(text, 'text/xml')
  } catch (err) {
    throw new SamlError(SamlErrorCode.xmlMalformed, `the ${what} is not well-formed XML`,
      { cause: err })
  }
  if (doc.doctype !== null || doc.documentElement === null) {
    throw new SamlError(SamlErrorCode.xmlMalformed, `the ${what} has no root element or has a DTD`)
  }
  return doc
}

/** The element children of `parent` in namespace `ns` with local name `name`. */
export function childElements(parent: Element, ns: string, name: string): Element[] {
  const out: Element[] = []
  for (let node: Node | null = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== elementNode) continue
    const element = node as Element
    if (element.namespaceURI === ns && element.localName === name) out.push(element)
  }
  return out
}

/** The trimmed text content of an element (no markup survives; entities are not defined). */
export function textOf(element: Element): string {
  return (element.textContent ?? '').trim()
}

/** An attribute and its value; undefined values are left out. */
export type XmlAttributes = Readonly<Record<string, string | undefined>>

/**
 * Creates an element in `ns` named `qualifiedName` with `attributes` (unqualified names) and
 * `children` (elements, or strings that become text nodes and so are escaped on output).
 */
export function element(
  doc: Document,
  ns: string,
  qualifiedName: string,
  attributes: XmlAttributes = {},
  children: ReadonlyArray<Element | string> = [],
): Element {
  const created = doc.createElementNS(ns, qualifiedName)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) created.setAttribute(name, xmlSafeText(value))
  }
  for (const child of children) {
    const node = typeof child === 'string' ? doc.createTextNode(xmlSafeText(child)) : child
    created.appendChild(node)
  }
  return created
}

/**
 * Replaces characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates,
 * U+FFFE/U+FFFF) with U+FFFD, so that a provider's claim cannot make the document invalid.
 */
export function xmlSafeText(text: string): string {
  return text.replace(notXmlChar, '\uFFFD')
}

const notXmlChar = new RegExp([
  '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]',
  '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])',
  '(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]',
].join('|'), 'g')
