/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence a license document is hashed
 * and sealed as. Serialisation is delegated to `canonicalize` (by two of the RFC's authors); this
 * module adds the strictness that library lacks.
 *
 * Why the extra check: `canonicalize`, like `JSON.stringify`, silently drops `undefined` properties,
 * turns `undefined` array items into `null`, calls `toJSON` (a Date becomes a string, a Buffer an
 * object) and emits the text `undefined` for functions. Any of those would make the hashed bytes
 * differ from what the caller believes it sealed, so only plain JSON data (I-JSON) is accepted.
 */
import canonicalize from 'canonicalize';
import { CodedError } from './coded-error';

/** Lone UTF-16 surrogates: not Unicode text, so I-JSON (and thus RFC 8785) forbids them. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function unsupported(path: string, what: string): CodedError {
  return new CodedError('VALIDATION_FAILED', `cannot canonicalise ${what} at ${path}`);
}

function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'a non-plain object';
}

/** Throws unless `value` is plain JSON data: null, boolean, finite number, well-formed string,
 * dense array or plain object of those, without cycles. */
function assertJsonData(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw unsupported(path, `the non-finite number ${String(value)}`);
      return;
    case 'string':
      if (LONE_SURROGATE.test(value)) throw unsupported(path, 'a string with a lone surrogate');
      return;
    case 'object':
      break;
    default:
      // undefined, bigint, symbol, function
      throw unsupported(path, typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`);
  }
  if (value === null) return;
  if (ancestors.has(value)) throw unsupported(path, 'a circular reference');
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJsonData(value[i], `${path}[${i}]`, ancestors);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw unsupported(path, describe(value));
    if (Object.getOwnPropertySymbols(value).length > 0) throw unsupported(path, 'a symbol-keyed property');
    for (const [key, child] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) throw unsupported(path, 'a property name with a lone surrogate');
      assertJsonData(child, childPath(path, key), ancestors);
    }
  }
  ancestors.delete(value);
}

/** Nesting beyond which the fast path hands over to the checked one (which finds cycles). */
const FAST_DEPTH = 512;

/**
 * RFC 8785 text of plain JSON data in one pass, or undefined at the first thing that is not plain
 * JSON data (or past {@link FAST_DEPTH}) — the caller then finds and names it. Strings and
 * numbers are serialised by `JSON.stringify`, which is RFC 8785's definition for both; property
 * names are sorted by UTF-16 code units (the default sort).
 */
function fastCanonical(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'string':
      return LONE_SURROGATE.test(value) ? undefined : JSON.stringify(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (depth > FAST_DEPTH) return undefined;
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      const item = fastCanonical(value[i], depth + 1);
      if (item === undefined) return undefined;
      text += i === 0 ? item : `,${item}`;
    }
    return `${text}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  if (Object.getOwnPropertySymbols(value).length > 0) return undefined;
  const keys = Object.keys(value).sort();
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (LONE_SURROGATE.test(key)) return undefined;
    const item = fastCanonical((value as Record<string, unknown>)[key], depth + 1);
    if (item === undefined) return undefined;
    text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${item}`;
  }
  return `${text}}`;
}

/**
 * The RFC 8785 canonical JSON text of `value`: properties sorted by UTF-16 code units, no
 * whitespace, ECMAScript number formatting, minimal string escaping.
 * @throws CodedError `VALIDATION_FAILED` (naming the JSON path) for anything that is not plain JSON
 * data: `undefined` (also as a property value), non-finite numbers, bigint, functions, symbols,
 * class instances such as Date or Buffer, lone surrogates, cycles.
 * @example canonicalJson({ b: [1e30, 4.50], a: 'x' }) // '{"a":"x","b":[1e+30,4.5]}'
 */
export function canonicalJson(value: unknown): string {
  const fast = fastCanonical(value, 0);
  if (fast !== undefined) return fast;
  // Not plain JSON data, or deeply nested: the checked path names what is wrong (or serialises it).
  assertJsonData(value, '$', new Set());
  const text = canonicalize(value);
  if (text === undefined) throw unsupported('$', 'a value without a JSON form');
  return text;
}

/** The UTF-8 bytes of {@link canonicalJson}: what is hashed and signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
