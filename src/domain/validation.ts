import { badRequest } from './errors.js';

/** Longest Name we store: BaseSpace names are short labels; 255 fits every real one. */
export const MAX_NAME_LENGTH = 255;
/** Descriptions and status summaries are free text, but bounded so a row stays small. */
export const MAX_TEXT_LENGTH = 4096;

/** C0, DEL and C1 (U+0080-U+009F, e.g. NEL and CSI): the Unicode control characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A lone UTF-16 surrogate (JSON allows the escape `"\ud800"`) is no character at all: UTF-8
 * cannot store it, so both databases would silently turn it into U+FFFD.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Checks a resource name: trimmed, 1..MAX_NAME_LENGTH characters, any script (names are often
 * non-ASCII), no control characters (they break sample sheets, file systems and terminals).
 */
export function validName(raw: unknown, field = 'Name'): string {
  if (typeof raw !== 'string') throw badRequest(`${field} is required and must be a string`);
  const name = raw.trim();
  if (name.length === 0) throw badRequest(`${field} must not be empty`);
  if ([...name].length > MAX_NAME_LENGTH) {
    throw badRequest(`${field} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (CONTROL.test(name)) throw badRequest(`${field} must not contain control characters`);
  if (LONE_SURROGATE.test(name)) throw badRequest(`${field} is not valid Unicode (lone surrogate)`);
  return name;
}

export function validText(raw: unknown, field: string): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') throw badRequest(`${field} must be a string`);
  if ([...raw].length > MAX_TEXT_LENGTH)
    throw badRequest(`${field} is longer than ${MAX_TEXT_LENGTH} characters`);
  if (/\u0000/.test(raw)) throw badRequest(`${field} must not contain NUL characters`);
  if (LONE_SURROGATE.test(raw)) throw badRequest(`${field} is not valid Unicode (lone surrogate)`);
  return raw;
}
