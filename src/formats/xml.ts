import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FormatError } from './format-error.js';

/** An XML element as fast-xml-parser gives it: attributes under `@_name`, text under `#text`. */
export type XmlNode = { [key: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  removeNSPrefix: true,
  // Entities stay off: nothing in an instrument file needs them, and they cost (billion laughs).
  processEntities: false,
});

/** Parses XML text, throwing FormatError with the line of the first syntax error. */
export function parseXml(text: string, file: string): XmlNode {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new FormatError('is empty', undefined, file);
  const valid = XMLValidator.validate(body);
  if (valid !== true)
    throw new FormatError(
      `is not well-formed XML: ${valid.err.msg}`,
      { line: valid.err.line },
      file,
    );
  try {
    return parser.parse(body) as XmlNode;
  } catch (error) {
    // The validator lets some damage through that the parser then refuses (found by
    // test/fuzz/parsers.fuzz.test.ts: an unclosed `<?pi` after the root element).
    throw new FormatError(`is not well-formed XML: ${(error as Error).message}`, undefined, file);
  }
}

/** The child elements named `name`, always as a list. */
export function children(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== 'object') return [];
  const v = (node as XmlNode)[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (x !== null && typeof x === 'object' ? (x as XmlNode) : { '#text': x }));
}

/** The first child element named `name`. */
export function child(node: unknown, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** An element's text (trimmed), or an attribute's value when `name` starts with `@_`. */
export function text(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as XmlNode)[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  if (typeof first === 'object') {
    const t = (first as XmlNode)['#text'];
    return t === undefined ? undefined : String(t).trim();
  }
  const s = String(first).trim();
  return s;
}

/** Case-insensitive element lookup (RunParameters spellings vary between instruments). */
export function findKey(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const lower = name.toLowerCase();
  return Object.keys(node).find((k) => k.toLowerCase() === lower);
}
