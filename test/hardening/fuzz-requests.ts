/**
 * Hostile HTTP requests generated from the services' own OpenAPI documents (fast-check), shared
 * by `fuzz.test.ts` and `bench/fuzz.ts`.
 *
 * Every request carries exactly one defect the contract says must be refused — a wrong type, a
 * missing or extra field, a string, array or number out of range, deep nesting, a lone surrogate,
 * invalid UTF-8, broken JSON, a wrong content type, a body over the limit, a malformed path or
 * query parameter, a bad token, a broken multipart body — and is expected to be a 4xx
 * problem+json. Besides, "probes" are well-formed per the schema but hostile in content (RTL,
 * zero-width, CJK, emoji, combining marks, malformed identifiers where the schema allows any
 * string): writes are sent as the auditor, whom the chaincode lets write nothing, so they are
 * refused too; reads (GET, and POSTs the document marks `x-read-only`) may be answered 2xx. No
 * answer may ever be a 5xx, and no request may hang.
 *
 * Known-good values (a real license identifier, material id, …) come from a dictionary keyed by
 * property or parameter name, so that probes and defects reach past "not found".
 */
import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';

export type ServiceName = 'gateway' | 'verifier';

/** A JSON Schema as it appears in an OpenAPI 3.0 document (loosely typed on purpose). */
export type Schema = Record<string, any>;

export interface Param {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly schema: Schema;
}

/** One route of one service, read from its OpenAPI document. */
export interface Operation {
  readonly service: ServiceName;
  readonly method: string;
  /** e.g. `/v1/licenses/{identifier}` */
  readonly template: string;
  readonly params: readonly Param[];
  /** Schema of an `application/json` body. */
  readonly json: Schema | undefined;
  /** Schema of the fields of a `multipart/form-data` body (the file is a `format: binary` property). */
  readonly multipart: Schema | undefined;
  /** Callable without a token. */
  readonly anonymous: boolean;
  /** Changes nothing (GET, or a POST marked `x-read-only`). */
  readonly readOnly: boolean;
}

export interface FuzzContext {
  /** Bearer tokens by principal name (must include `auditor`). */
  readonly tokens: Readonly<Record<string, string>>;
  /** Known-good values by property or parameter name (e.g. `identifier`, `materialId`, `document`). */
  readonly dictionary?: Readonly<Record<string, readonly unknown[]>>;
}

/** What the answer must be: `refused` — a 4xx problem; `answered` — anything but a 5xx. */
export type Expectation = 'refused' | 'answered';

export interface FuzzRequest {
  readonly service: ServiceName;
  readonly method: string;
  /** Raw request target, ASCII (percent-encoded), possibly malformed on purpose. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** The defect (or `probe`), for counts and failure messages. */
  readonly defect: string;
  readonly route: string;
  readonly expect: Expectation;
}

export interface FuzzAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly ms: number;
}

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'] as const;

// ---------------------------------------------------------------------------------------------
// Reading the OpenAPI documents

function resolveRef(doc: Schema, schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let i = 0; current && typeof current.$ref === 'string' && i < 10; i++) {
    const name = (current.$ref as string).replace('#/components/schemas/', '');
    current = doc.components?.schemas?.[name];
  }
  return current;
}

/** Replaces every `$ref` by its target (the documents have no recursive schemas). */
function inline(doc: Schema, schema: Schema | undefined, depth = 0): Schema | undefined {
  if (!schema || typeof schema !== 'object' || depth > 30) return schema;
  const resolved = resolveRef(doc, schema) as Schema;
  const out: Schema = Array.isArray(resolved) ? [] : {};
  for (const [key, value] of Object.entries(resolved)) {
    out[key] = value && typeof value === 'object' ? inline(doc, value as Schema, depth + 1) : value;
  }
  return out;
}

/** The operations of one service's OpenAPI document. */
export function operationsOf(service: ServiceName, doc: Schema): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = (op.requestBody?.content ?? {}) as Record<string, { schema?: Schema }>;
      const security = (op.security ?? doc.security ?? []) as Array<Record<string, unknown>>;
      operations.push({
        service,
        method: method.toUpperCase(),
        template,
        params: ((op.parameters ?? []) as Schema[])
          .filter((p) => p.in === 'path' || p.in === 'query')
          .map((p) => ({ name: p.name as string, in: p.in as 'path' | 'query', required: p.required === true, schema: inline(doc, p.schema as Schema) ?? {} })),
        json: inline(doc, content['application/json']?.schema),
        multipart: inline(doc, content['multipart/form-data']?.schema),
        anonymous: security.length === 0 || security.some((s) => Object.keys(s).length === 0),
        readOnly: method === 'get' || op['x-read-only'] === true,
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Text that is valid Unicode but hostile to naive code: bidi overrides, zero-width, CJK, emoji… */
const HOSTILE_PIECES = [
  '\u202e', '\u202d', '\u200f', '\u061c', // bidi overrides and marks (RTL)
  '\u200b', '\u200c', '\u200d', '\ufeff', '\u2060', // zero-width
  '上海市某某有限公司', '張三', '𠀋𡈽𡌛', 'ｆｕｌｌｗｉｄｔｈ', // CJK (BMP and astral), fullwidth
  '😀', '👨‍👩‍👧‍👦', '🇨🇳', '🏳️‍🌈', // emoji: astral, ZWJ sequences, flags
  'é', 'é', 'ﬁ', '̸', 'Ǆ', // composed/decomposed, ligature, combining, title case
  'עברית', 'العربية', // RTL scripts
  '\u2028', '\u2029', '\u0085', // line/paragraph separators
  '%00', '../', '<script>', "'; DROP TABLE x;--", '${x}', '{{x}}', '\\', '"', // injection-looking
  '__proto__', 'constructor', 'toString',
];

function hostileText(maxLength: number): fc.Arbitrary<string> {
  const piece = fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ maxLength: 4 }));
  return fc
    .array(piece, { minLength: 1, maxLength: 8 })
    .map((pieces) => pieces.join(''))
    .map((s) => truncateCodePoints(s, maxLength))
    .filter((s) => s.trim().length > 0);
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = text.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out;
}

const patterns = new Map<string, RegExp>();

function patternOf(schema: Schema): RegExp | undefined {
  if (typeof schema.pattern !== 'string') return undefined;
  let pattern = patterns.get(schema.pattern);
  if (!pattern) patterns.set(schema.pattern, (pattern = new RegExp(schema.pattern, 'u')));
  return pattern;
}

function stringWithin(schema: Schema, text: string): boolean {
  const length = [...text].length;
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) return false;
  if (typeof schema.minLength === 'number' && length < schema.minLength) return false;
  const pattern = patternOf(schema);
  return !pattern || pattern.test(text);
}

// ---------------------------------------------------------------------------------------------
// Valid values from a schema

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type as string[];
  const types = typeof schema.type === 'string' ? [schema.type as string] : [];
  if (schema.nullable === true && !types.includes('null')) types.push('null');
  return types;
}

/** A value valid against `schema`, preferring the dictionary's entry for `name`. */
export function validValue(schema: Schema, ctx: FuzzContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const known = name !== undefined ? ctx.dictionary?.[name]?.filter((v) => (typeof v === 'string' ? schema.type === 'string' && stringWithin(schema, v) : typeof v === schema.type)) : undefined;
  const generated = generatedValue(schema, ctx, depth);
  return known && known.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: generated }) : generated;
}

function generatedValue(schema: Schema, ctx: FuzzContext, depth: number): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => generatedValue(s, ctx, depth)));
  const types = typesOf(schema);
  if (types.length === 0) {
    // Untyped ("any"): a small JSON value.
    return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
  return fc.constantFrom(...types).chain((type) => cachedValueOfType(type, schema, ctx, depth));
}

/** Arbitraries built once per schema (building one from a pattern is the costly part). */
const built = new WeakMap<FuzzContext, WeakMap<Schema, Map<string, fc.Arbitrary<unknown>>>>();

function cachedValueOfType(type: string, schema: Schema, ctx: FuzzContext, depth: number): fc.Arbitrary<unknown> {
  let bySchema = built.get(ctx);
  if (!bySchema) built.set(ctx, (bySchema = new WeakMap()));
  let byType = bySchema.get(schema);
  if (!byType) bySchema.set(schema, (byType = new Map()));
  const key = `${type}/${depth}`;
  let arbitrary = byType.get(key);
  if (!arbitrary) byType.set(key, (arbitrary = valueOfType(type, schema, ctx, depth)));
  return arbitrary;
}

function valueOfType(type: string, schema: Schema, ctx: FuzzContext, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
      const max = typeof schema.maximum === 'number' ? schema.maximum : Math.max(min + 1e6, 1e6);
      const integer = fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER)) });
      return type === 'integer' ? fc.oneof(integer, fc.constantFrom(Math.ceil(min), Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER)))) : integer;
    }
    case 'string': {
      const pattern = patternOf(schema);
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 300;
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      if (schema.format === 'binary') return fc.constant('');
      const candidates: fc.Arbitrary<string>[] = [];
      // A pattern of negated classes is free text: hostile Unicode filtered by it (generating
      // from such a pattern character by character is slow and no more varied).
      const freeText = !pattern || /^\^\[\^/.test(schema.pattern as string);
      if (!freeText) candidates.push(fc.stringMatching(pattern as RegExp));
      else {
        candidates.push(hostileText(Math.max(1, Math.min(maxLength, 120))));
        candidates.push(fc.string({ minLength: Math.max(minLength, 1), maxLength: Math.max(1, Math.min(maxLength, 64)) }));
      }
      return fc.oneof(...candidates).filter((s) => stringWithin(schema, s));
    }
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxItems = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 4, minItems + 4);
      const items = schema.items ? validValue(schema.items as Schema, ctx, undefined, depth + 1) : fc.jsonValue({ maxDepth: 1 });
      const array = schema.uniqueItems ? fc.uniqueArray(items, { minLength: minItems, maxLength: maxItems, selector: (v) => JSON.stringify(v) }) : fc.array(items, { minLength: minItems, maxLength: maxItems });
      return array;
    }
    case 'object':
    default:
      return objectValue(schema, ctx, depth);
  }
}

function objectValue(schema: Schema, ctx: FuzzContext, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  if (Object.keys(properties).length === 0) {
    // A free object (e.g. a license's `fields`): a few hostile keys and values.
    return depth > 3 ? fc.constant({}) : fc.dictionary(hostileText(20), fc.oneof(hostileText(40), fc.integer(), fc.boolean()), { maxKeys: 4 });
  }
  // oneOf branches (exactly one of `content`, `digest`): choose one branch's required set.
  const branches = Array.isArray(schema.oneOf) ? (schema.oneOf as Schema[]) : [{}];
  return fc.constantFrom(...branches).chain((branch) => {
    const required = new Set<string>([...((schema.required ?? []) as string[]), ...((branch.required ?? []) as string[])]);
    const excluded = new Set<string>(
      branches.filter((b) => b !== branch).flatMap((b) => (b.required ?? []) as string[]).filter((n) => !required.has(n)),
    );
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, sub] of Object.entries(properties)) {
      if (!excluded.has(key)) record[key] = validValue(sub, ctx, key, depth + 1);
    }
    return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
  });
}

// ---------------------------------------------------------------------------------------------
// Places in a value where a defect can go

interface Slot {
  /** Keys from the root. */
  readonly path: readonly (string | number)[];
  readonly schema: Schema;
  readonly value: unknown;
}

function slotsOf(schema: Schema, value: unknown, path: (string | number)[] = [], out: Slot[] = []): Slot[] {
  out.push({ path, schema, value });
  if (value && typeof value === 'object' && !Array.isArray(value) && schema.properties) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const sub = (schema.properties as Record<string, Schema>)[key];
      if (sub) slotsOf(sub, child, [...path, key], out);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((child, i) => slotsOf(schema.items as Schema, child, [...path, i], out));
  }
  return out;
}

function replaceAt(root: unknown, path: readonly (string | number)[], replace: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replace(root);
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  copy[head] = replaceAt(copy[head], rest, replace);
  return copy;
}

/** Whether `schema` states a type that rules values of other types out. */
function definiteTypes(schema: Schema): string[] | undefined {
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) return undefined;
  if (Array.isArray(schema.enum) || 'const' in schema) return undefined;
  const types = typesOf(schema);
  if (types.length === 0) return undefined;
  if (types.includes('number')) types.push('integer');
  return types;
}

function valueOfWrongType(allowed: readonly string[]): fc.Arbitrary<unknown> {
  const others = JSON_TYPES.filter((t) => !allowed.includes(t) && !(t === 'integer' && allowed.includes('number')));
  return fc.constantFrom(...others).chain((type): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string':
        return fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('1', 'true', 'null', '[]'));
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n));
      case 'integer':
        return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53));
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 });
      default:
        return fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
    }
  });
}

/** A string of the schema's type that breaks its pattern (malformed ids, digests, dates). */
function patternBreaker(schema: Schema, valid: string): fc.Arbitrary<string> {
  const pattern = patternOf(schema) as RegExp;
  return fc
    .oneof(
      fc.constant(valid.slice(0, -1)),
      fc.constant(`${valid}x`),
      fc.constant(valid.toUpperCase()),
      fc.constant(` ${valid}`),
      fc.constant(`${valid}\n`),
      fc.constant(valid.replace(/^(sm3|sha256):/, 'md5:')),
      fc.constant(valid.replace(/[0-9]/, 'O')),
      fc.constant(`../${valid}`),
      fc.constant(`${valid.slice(0, 3)}\u0000${valid.slice(3)}`),
      fc.constantFrom('', '-', '.', '..', 'null', '0x00', '１２３', '٣', '𝟘𝟙𝟚'),
      fc.string({ maxLength: 12 }),
      hostileText(24),
    )
    .filter((s) => !pattern.test(s));
}

function deepNesting(): fc.Arbitrary<unknown> {
  return fc.record({ depth: fc.constantFrom(200, 2_000, 20_000, 100_000), kind: fc.constantFrom('array', 'object') }).map(({ depth, kind }) => new DeepJson(depth, kind));
}

/** Nesting serialised directly as text (too deep to build as an object). */
class DeepJson {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
  ) {}

  text(): string {
    return this.kind === 'array' ? `${'['.repeat(this.depth)}${']'.repeat(this.depth)}` : `${'{"a":'.repeat(this.depth)}1${'}'.repeat(this.depth)}`;
  }
}

const LONE_SURROGATE_MARK = '\u0001LONE\u0001';
const BAD_UTF8_MARK = '\u0001BADUTF8\u0001';

/** Invalid UTF-8: stray continuation, truncated sequence, overlong, encoded surrogate, > U+10FFFF. */
const BAD_UTF8 = [
  Buffer.from([0x80]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xff, 0xfe]),
];

/** JSON text of `value`, with the markers turned into raw bytes or escapes. */
function encodeJson(value: unknown, rawBytes: Buffer = BAD_UTF8[0] as Buffer): Buffer {
  let text = JSON.stringify(value, (_key, v: unknown) => (v instanceof DeepJson ? `\u0002DEEP${v.kind}${v.depth}\u0002` : v));
  text = text.replace(/"\\u0002DEEP(array|object)(\d+)\\u0002"/g, (_m, kind: 'array' | 'object', depth: string) => new DeepJson(Number(depth), kind).text());
  text = text.split(JSON.stringify(LONE_SURROGATE_MARK).slice(1, -1)).join('\\ud800');
  const parts = text.split(JSON.stringify(BAD_UTF8_MARK).slice(1, -1));
  const buffers: Buffer[] = [];
  parts.forEach((part, i) => {
    if (i > 0) buffers.push(rawBytes);
    buffers.push(Buffer.from(part, 'utf8'));
  });
  return Buffer.concat(buffers);
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Parts {
  params: Record<string, string | string[]>;
  /** Raw path segments replacing a parameter (already percent-encoded, maybe badly). */
  rawParams: Record<string, string>;
  /** Extra raw query text. */
  rawQuery: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** Percent-encodes UTF-8; a lone surrogate (a truncated emoji) becomes its WTF-8 bytes — an invalid URL on purpose. */
function encode(text: string): string {
  return [...text].map((ch) => (/^[\uD800-\uDFFF]$/.test(ch) ? `%ED%${(0xa0 | ((ch.charCodeAt(0) >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 | (ch.charCodeAt(0) & 0x3f)).toString(16).toUpperCase()}` : encodeURIComponent(ch))).join('');
}

function target(op: Operation, parts: Parts): string {
  let path = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (name in parts.rawParams) return parts.rawParams[name] as string;
    return encode(String(parts.params[name] ?? ''));
  });
  const query: string[] = [];
  for (const p of op.params.filter((q) => q.in === 'query')) {
    const value = parts.params[p.name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) query.push(`${encode(p.name)}=${encode(v)}`);
  }
  if (parts.rawQuery) query.push(parts.rawQuery);
  if (query.length > 0) path += `?${query.join('&')}`;
  return path;
}

function request(op: Operation, parts: Parts, defect: string, expect: Expectation): FuzzRequest {
  const headers = { ...parts.headers };
  if (parts.body !== undefined) headers['content-length'] = String(parts.body.length);
  const req: FuzzRequest = { service: op.service, method: op.method, path: target(op, parts), headers, body: parts.body, defect, route: `${op.method} ${op.template}`, expect };
  // fast-check prints counterexamples with this (bodies may be megabytes).
  Object.defineProperty(req, fc.toStringMethod, { enumerable: false, value: () => describeRequest(req) });
  return req;
}

/** A short, printable description of a request (for failures). */
export function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : ` body(${req.body.length} B)=${JSON.stringify(req.body.subarray(0, 400).toString('latin1'))}`;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${k === 'authorization' ? `${v.slice(0, 12)}…` : v.slice(0, 120)}`)
    .join(' | ');
  return `[${req.defect}] ${req.service} ${req.method} ${req.path.slice(0, 300)} {${headers}}${body}`;
}

/** A valid token of any principal in the context (refusals by role are part of the surface). */
function tokenHeader(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  const names = Object.keys(ctx.tokens);
  return fc.constantFrom(...names).map((name) => ({ authorization: `Bearer ${ctx.tokens[name] as string}` }));
}

function validParams(op: Operation, ctx: FuzzContext): fc.Arbitrary<Record<string, string | string[]>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of op.params) record[p.name] = validValue(p.schema, ctx, p.name);
  const required = op.params.filter((p) => p.required || p.in === 'path').map((p) => p.name);
  return fc.record(record, { requiredKeys: required }).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
}

function jsonHeaders(auth: Record<string, string>): Record<string, string> {
  return { ...auth, 'content-type': 'application/json' };
}

/** An optional Idempotency-Key (valid or not) on writes: refusals must not be remembered. */
function idempotencyKey(op: Operation): fc.Arbitrary<Record<string, string>> {
  if (op.readOnly) return fc.constant({});
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,40}$/).map((k) => ({ 'idempotency-key': k })) },
    // Keys the service refuses: empty, blank, too long, a space, a byte outside printable ASCII.
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(200), 'a b', 'cl\u00e9').map((k) => ({ 'idempotency-key': k })) },
  );
}

/** Defects in a JSON body. */
function jsonDefects(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const schema = op.json as Schema;
  const base = fc.record({ params: validParams(op, ctx), auth: tokenHeader(ctx), body: validValue(schema, ctx), key: idempotencyKey(op) });
  return base.chain(({ params, auth, body, key }) => {
    const slots = slotsOf(schema, body);
    const make = (defect: string, bytes: Buffer, headers: Record<string, string> = jsonHeaders(auth)): FuzzRequest =>
      request(op, { params, rawParams: {}, rawQuery: '', headers: { ...headers, ...key }, body: bytes }, `body:${defect}`, 'refused');
    const strategies: fc.Arbitrary<FuzzRequest>[] = [];

    const typed = slots.filter((s) => definiteTypes(s.schema));
    if (typed.length > 0) {
      strategies.push(
        fc.constantFrom(...typed).chain((slot) => valueOfWrongType(definiteTypes(slot.schema) as string[]).map((v) => make('wrong-type', encodeJson(replaceAt(body, slot.path, () => v))))),
      );
      // Nesting where a scalar or a typed object belongs (free objects and arrays may nest).
      const scalars = typed.filter((s) => !typesOf(s.schema).includes('array') && !(typesOf(s.schema).includes('object') && !s.schema.properties));
      if (scalars.length > 0) strategies.push(fc.tuple(fc.constantFrom(...scalars), deepNesting()).map(([slot, deep]) => make('deep-nesting', encodeJson(replaceAt(body, slot.path, () => deep)))));
      // Free objects (a license's fields, a fields schema) take any JSON, but not a bottomless one.
      const free = typed.filter((s) => typesOf(s.schema).includes('object') && !s.schema.properties && s.path.length > 0);
      if (free.length > 0) {
        strategies.push(fc.tuple(fc.constantFrom(...free), deepNesting()).map(([slot, deep]) => make('deep-nesting', encodeJson(replaceAt(body, slot.path, () => ({ deep }))))));
      }
    }
    const enums = slots.filter((s) => Array.isArray(s.schema.enum) || 'const' in s.schema);
    if (enums.length > 0) {
      strategies.push(fc.tuple(fc.constantFrom(...enums), fc.constantFrom('', 'x', 'ACTIVE ', 'Suspend', 'suspend\u200b', '__proto__')).filter(([slot, v]) => !(slot.schema.enum ?? [slot.schema.const]).includes(v)).map(([slot, v]) => make('enum', encodeJson(replaceAt(body, slot.path, () => v)))));
    }
    const withRequired = slots.filter((s) => Array.isArray(s.schema.required) && s.value && typeof s.value === 'object' && (s.schema.required as string[]).some((r) => r in (s.value as object)));
    if (withRequired.length > 0) {
      strategies.push(
        fc.constantFrom(...withRequired).chain((slot) =>
          fc.constantFrom(...(slot.schema.required as string[]).filter((r) => r in (slot.value as object))).map((name) =>
            make('missing', encodeJson(replaceAt(body, slot.path, (old) => Object.fromEntries(Object.entries(old as object).filter(([k]) => k !== name))))),
          ),
        ),
      );
    }
    const closed = slots.filter((s) => s.schema.additionalProperties === false && s.value && typeof s.value === 'object' && !Array.isArray(s.value));
    if (closed.length > 0) {
      strategies.push(
        fc
          .tuple(fc.constantFrom(...closed), fc.oneof(fc.constantFrom('extra', 'isAdmin', 'role', 'mspId', 'ownerRef', 'holderRef', '$where', '名称', 'a'.repeat(300)), hostileText(20)), fc.jsonValue({ maxDepth: 1 }))
          .filter(([slot, name]) => !(name in ((slot.schema.properties ?? {}) as object)))
          .map(([slot, name, value]) => make('extra', encodeJson(replaceAt(body, slot.path, (old) => ({ ...(old as object), [name]: value }))))),
      );
      strategies.push(fc.constantFrom('__proto__', 'constructor').map((name) => make('prototype-poisoning', Buffer.from(encodeJson(body).toString('utf8').replace(/^\{/, name === '__proto__' ? '{"__proto__":{"isAdmin":true},' : '{"constructor":{"prototype":{"isAdmin":true}},').replace(/,}$/, '}')))));
    }
    const strings = slots.filter((s) => typesOf(s.schema).includes('string') && typeof s.value === 'string');
    const bounded = strings.filter((s) => typeof s.schema.maxLength === 'number' && s.schema.maxLength < 200_000);
    if (bounded.length > 0) {
      strategies.push(
        fc
          .tuple(fc.constantFrom(...bounded), fc.constantFrom(1, 100, 100_000), fc.constantFrom('x', '字', '😀'))
          .map(([slot, extra, unit]) => make('too-long', encodeJson(replaceAt(body, slot.path, () => unit.repeat((slot.schema.maxLength as number) + extra))))),
      );
    }
    const nonEmpty = strings.filter((s) => typeof s.schema.minLength === 'number' && s.schema.minLength > 0);
    if (nonEmpty.length > 0) strategies.push(fc.constantFrom(...nonEmpty).map((slot) => make('too-short', encodeJson(replaceAt(body, slot.path, () => '')))));
    const patterned = strings.filter((s) => patternOf(s.schema));
    if (patterned.length > 0) {
      strategies.push(fc.constantFrom(...patterned).chain((slot) => patternBreaker(slot.schema, slot.value as string).map((v) => make('pattern', encodeJson(replaceAt(body, slot.path, () => v))))));
    }
    const allStrings = slots.filter((s) => typeof s.value === 'string');
    if (allStrings.length > 0) {
      strategies.push(fc.constantFrom(...allStrings).map((slot) => make('lone-surrogate', encodeJson(replaceAt(body, slot.path, (old) => `${String(old).slice(0, 3)}${LONE_SURROGATE_MARK}`)))));
      strategies.push(
        fc.tuple(fc.constantFrom(...allStrings), fc.constantFrom(...BAD_UTF8)).map(([slot, bytes]) => make('invalid-utf8', encodeJson(replaceAt(body, slot.path, (old) => `${String(old).slice(0, 3)}${BAD_UTF8_MARK}`), bytes))),
      );
    }
    const numbers = slots.filter((s) => (typesOf(s.schema).includes('integer') || typesOf(s.schema).includes('number')) && (typeof s.schema.minimum === 'number' || typeof s.schema.maximum === 'number'));
    if (numbers.length > 0) {
      strategies.push(
        fc.constantFrom(...numbers).chain((slot) => {
          const outside: number[] = [];
          if (typeof slot.schema.minimum === 'number') outside.push(slot.schema.minimum - 1, -1e300, Number.MIN_SAFE_INTEGER);
          if (typeof slot.schema.maximum === 'number') outside.push(slot.schema.maximum + 1, 1e300, 2 ** 64);
          if (typesOf(slot.schema).includes('integer') && !typesOf(slot.schema).includes('number')) outside.push((slot.schema.minimum ?? 0) + 0.5);
          return fc.constantFrom(...outside).map((n) => make('out-of-range', encodeJson(replaceAt(body, slot.path, () => n))));
        }),
      );
      strategies.push(fc.constantFrom(...numbers).map((slot) => make('number-overflow', Buffer.from(encodeJson(replaceAt(body, slot.path, () => 424242.4242)).toString('utf8').replace('424242.4242', '1e999')))));
    }
    const arrays = slots.filter((s) => Array.isArray(s.value) && (typeof s.schema.maxItems === 'number' || (s.schema.uniqueItems && (s.value as unknown[]).length > 0) || (s.schema.minItems ?? 0) > 0));
    if (arrays.length > 0) {
      strategies.push(
        fc.constantFrom(...arrays).chain((slot) => {
          const list = slot.value as unknown[];
          const options: unknown[][] = [];
          if (typeof slot.schema.maxItems === 'number' && list.length > 0 && slot.schema.maxItems < 20_000) options.push(Array.from({ length: (slot.schema.maxItems as number) + 1 }, (_v, i) => list[i % list.length]));
          if (slot.schema.uniqueItems && list.length > 0) options.push([...list, list[0]]);
          if ((slot.schema.minItems ?? 0) > 0) options.push([]);
          return options.length > 0 ? fc.constantFrom(...options).map((v) => make('array-bounds', encodeJson(replaceAt(body, slot.path, () => v)))) : fc.constant(make('array-bounds', encodeJson(replaceAt(body, slot.path, () => 'not an array'))));
        }),
      );
    }
    // Whole-body defects.
    const text = encodeJson(body).toString('utf8');
    strategies.push(fc.constantFrom('[]', '"x"', '0', 'null', 'true', '[{}]').map((t) => make('body-type', Buffer.from(t))));
    strategies.push(fc.integer({ min: 1, max: Math.max(1, text.length - 1) }).map((n) => make('truncated-json', Buffer.from(text.slice(0, n)))));
    strategies.push(fc.constantFrom(`${text}x`, `${text},`, text.replace(/"/g, "'"), `${text.slice(0, -1)},}`, `{${text}`, '', ' ', '\u0000', 'NaN').filter((t) => t !== text).map((t) => make('syntax', Buffer.from(t))));
    strategies.push(
      fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/octet-stream', 'image/png', 'multipart/mixed; boundary=x', 'text/json').map((type) => make('content-type', Buffer.from(text), { ...auth, 'content-type': type })),
    );
    strategies.push(fc.constant(make('no-content-type', Buffer.from(text), { ...auth })));
    strategies.push(fc.constant(make('utf16-json', Buffer.from(`\ufeff${text}`, 'utf16le'), { ...auth, 'content-type': 'application/json; charset=utf-16' })));
    strategies.push(fc.constantFrom(2_200_000, 3_000_000).map((size) => make('over-limit', Buffer.from(JSON.stringify({ __pad: 'x'.repeat(size) })))));
    return fc.oneof(...strategies);
  });
}

/** Defects in path or query parameters. */
function paramDefects(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> | undefined {
  const candidates = op.params.filter((p) => p.in === 'path' || p.required || patternOf(p.schema) || typeof p.schema.maxLength === 'number' || Array.isArray(p.schema.enum));
  if (candidates.length === 0) return undefined;
  const base = fc.record({ params: validParams(op, ctx), auth: tokenHeader(ctx), body: op.json ? validValue(op.json, ctx) : fc.constant(undefined) });
  return fc.tuple(base, fc.constantFrom(...candidates)).chain(([{ params, auth, body }, param]) => {
    const headers = { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
    const bytes = body !== undefined ? encodeJson(body) : undefined;
    const make = (defect: string, change: Partial<Parts>): FuzzRequest =>
      request(op, { params, rawParams: {}, rawQuery: '', headers, body: bytes, ...change }, `param:${defect}`, 'refused');
    const strategies: fc.Arbitrary<FuzzRequest>[] = [];
    const valid = String(params[param.name] ?? 'x');
    if (patternOf(param.schema)) strategies.push(patternBreaker(param.schema, valid).filter((v) => v !== '' || param.in === 'query').map((v) => make('pattern', { params: { ...params, [param.name]: v } })));
    if (typeof param.schema.maxLength === 'number') {
      strategies.push(fc.constantFrom(1, 50, 5_000, 40_000).map((extra) => make('too-long', { params: { ...params, [param.name]: 'A'.repeat((param.schema.maxLength as number) + extra) } })));
    }
    if (Array.isArray(param.schema.enum)) strategies.push(fc.constantFrom('', 'yes', 'TRUE', 'submitted').filter((v) => !(param.schema.enum as string[]).includes(v)).map((v) => make('enum', { params: { ...params, [param.name]: v } })));
    if (param.in === 'path') {
      // Undecodable percent-encoding: every path parameter must refuse it.
      strategies.push(fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', `${encodeURIComponent(valid)}%`).map((raw) => make('bad-percent-encoding', { rawParams: { [param.name]: raw } })));
    } else {
      if (param.required) strategies.push(fc.constant(make('missing', { params: Object.fromEntries(Object.entries(params).filter(([k]) => k !== param.name)) })));
      strategies.push(fc.constant(make('repeated', { params: { ...params, [param.name]: [valid, valid] } })));
    }
    return strategies.length > 0 ? fc.oneof(...strategies) : fc.constant(make('repeated', {}));
  });
}

/** No token where one is needed, a malformed one, or a well-formed unknown one (another consortium's). */
function authDefects(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const headerValues: fc.Arbitrary<string | undefined>[] = [
    fc.constantFrom('Bearer', 'Bearer ', 'bearer', 'Basic YWRtaW46YWRtaW4=', 'Bearer  x', 'Bearer short', 'Token abc', 'Bearer ' + 'A'.repeat(5000), 'Bearer é', 'Bearer lc_\u00ff\u00fe'),
    fc.stringMatching(/^[A-Za-z0-9_-]{32}$/).map((t) => `Bearer lc_${t}`),
    fc.constantFrom(...Object.values(ctx.tokens)).map((t) => `Bearer ${t}x`),
    fc.constantFrom(...Object.values(ctx.tokens)).map((t) => `Bearer ${t.slice(0, -1)}`),
    fc.constantFrom(...Object.values(ctx.tokens)).map((t) => `Bearer ${t}, Bearer ${t}`),
  ];
  if (!op.anonymous) headerValues.push(fc.constant(undefined));
  return fc.record({ params: validParams(op, ctx), value: fc.oneof(...headerValues), body: op.json ? validValue(op.json, ctx) : fc.constant(undefined) }).map(({ params, value, body }) => {
    const headers: Record<string, string> = {};
    if (value !== undefined) headers.authorization = value;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return request(op, { params, rawParams: {}, rawQuery: '', headers, body: body !== undefined ? encodeJson(body) : undefined }, value === undefined ? 'auth:none' : 'auth:bad-token', 'refused');
  });
}

// ---------------------------------------------------------------------------------------------
// Multipart

interface MultipartPart {
  readonly name: string | undefined;
  readonly filename?: string;
  readonly type?: string;
  readonly data: Buffer;
  /** Raw header lines instead of the usual ones. */
  readonly rawHeaders?: string;
}

function multipartBody(boundary: string, parts: readonly MultipartPart[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\n`;
    if (part.rawHeaders !== undefined) head += part.rawHeaders;
    else {
      head += `Content-Disposition: form-data${part.name !== undefined ? `; name="${part.name}"` : ''}${part.filename !== undefined ? `; filename="${part.filename}"` : ''}\r\n`;
      if (part.type) head += `Content-Type: ${part.type}\r\n`;
    }
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), part.data, Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(600, 0x41)]);

function multipartDefects(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const schema = op.multipart as Schema;
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const fileName = Object.keys(properties).find((k) => properties[k]?.format === 'binary') ?? 'file';
  const fieldSchema = { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([k]) => k !== fileName)), required: ((schema.required ?? []) as string[]).filter((r) => r !== fileName) };
  const fileMin = (properties[fileName]?.minLength as number | undefined) ?? 0;
  return fc
    .record({ params: validParams(op, ctx), auth: tokenHeader(ctx), fields: validValue(fieldSchema, ctx), boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,-]{8,40}$/), key: idempotencyKey(op) })
    .chain(({ params, auth, fields, boundary, key }) => {
      const fieldParts = Object.entries(fields as Record<string, unknown>).map(([name, value]) => ({ name, data: Buffer.from(String(value), 'utf8') }));
      const file: MultipartPart = { name: fileName, filename: 'a.pdf', type: 'application/pdf', data: PDF };
      const type = `multipart/form-data; boundary=${boundary}`;
      const make = (defect: string, body: Buffer, contentType = type): FuzzRequest =>
        request(op, { params, rawParams: {}, rawQuery: '', headers: { ...auth, ...key, 'content-type': contentType }, body }, `multipart:${defect}`, 'refused');
      const strategies: fc.Arbitrary<FuzzRequest>[] = [
        fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="unclosed', 'multipart/form-data; charset=utf-8').map((ct) => make('no-boundary', multipartBody(boundary, [...fieldParts, file]), ct)),
        fc.constant(make('other-boundary', multipartBody(`${boundary}X`, [...fieldParts, file]))),
        fc.constantFrom(254, 300).map((n) => make('long-boundary', multipartBody('b'.repeat(n), [...fieldParts, file]), `multipart/form-data; boundary=${'b'.repeat(n)}`)),
        fc.integer({ min: 1, max: 400 }).map((cut) => {
          const whole = multipartBody(boundary, [...fieldParts, file], false);
          return make('truncated', whole.subarray(0, Math.max(1, whole.length - cut)));
        }),
        fc.constant(make('unclosed', multipartBody(boundary, [...fieldParts, file], false))),
        fc.constantFrom('upload', 'File', 'file ', 'files[]', '').map((name) => make('wrong-file-name', multipartBody(boundary, [...fieldParts, { ...file, name }]))),
        fc.constant(make('no-file', multipartBody(boundary, fieldParts))),
        fc.constant(make('two-files', multipartBody(boundary, [...fieldParts, file, { ...file, filename: 'b.pdf' }]))),
        fc.constantFrom(12, 60, 500).map((n) => make('many-parts', multipartBody(boundary, [...Array.from({ length: n }, (_v, i) => ({ name: `f${i}`, data: Buffer.from('x') })), ...fieldParts, file]))),
        fc.constant(make('no-disposition', multipartBody(boundary, [...fieldParts, { ...file, rawHeaders: 'Content-Type: application/pdf\r\n' }]))),
        fc.constant(make('garbage', Buffer.from(`--${boundary}\r\n\r\n\r\n--${boundary}--garbage\u0000\u00ff`, 'latin1'))),
        fc.constant(make('empty-body', Buffer.alloc(0))),
      ];
      const extraName = fc.oneof(fc.constantFrom('extra', 'ownerRef', '名称', 'a'.repeat(200)), hostileText(10)).filter((n) => !(n in properties) && !/["\r\n]/.test(n));
      if (schema.additionalProperties === false) strategies.push(extraName.map((name) => make('extra-field', multipartBody(boundary, [...fieldParts, { name, data: Buffer.from('x') }, file]))));
      const required = (fieldSchema.required as string[]).filter((r) => r in (fields as object));
      if (required.length > 0) strategies.push(fc.constantFrom(...required).map((name) => make('missing-field', multipartBody(boundary, [...fieldParts.filter((p) => p.name !== name), file]))));
      if (fieldParts.length > 0) {
        strategies.push(fc.constant(make('repeated-field', multipartBody(boundary, [...fieldParts, fieldParts[0] as MultipartPart, file]))));
        strategies.push(fc.constant(make('huge-field', multipartBody(boundary, [{ ...(fieldParts[0] as MultipartPart), data: Buffer.alloc(200_000, 0x61) }, ...fieldParts.slice(1), file]))));
        strategies.push(fc.constant(make('field-after-file', multipartBody(boundary, [file, ...fieldParts]))));
        strategies.push(fc.constantFrom(...BAD_UTF8).map((bytes) => make('invalid-utf8-field', multipartBody(boundary, [{ ...(fieldParts[0] as MultipartPart), data: Buffer.concat([Buffer.from('ab'), bytes]) }, ...fieldParts.slice(1), file]))));
      }
      if (fileMin > 0) strategies.push(fc.constant(make('empty-file', multipartBody(boundary, [...fieldParts, { ...file, data: Buffer.alloc(0) }]))));
      return fc.oneof(...strategies);
    });
}

// ---------------------------------------------------------------------------------------------
// Probes: well-formed, hostile content

function probe(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const writes = !op.readOnly;
  // Writes go as the auditor, whom the chaincode lets write nothing: deep code runs, nothing lands.
  const auth = writes ? fc.constant({ authorization: `Bearer ${ctx.tokens.auditor as string}` }) : fc.oneof(tokenHeader(ctx), fc.constant({}));
  const body = op.json ? validValue(op.json, ctx).map((b) => encodeJson(b)) : op.multipart ? fc.constant(multipartBody('probeboundary', [{ name: 'file', filename: 'x.pdf', type: 'application/pdf', data: PDF }])) : fc.constant(undefined);
  return fc.record({ params: validParams(op, ctx), auth, body, key: idempotencyKey(op) }).map(({ params, auth: a, body: b, key }) => {
    const headers: Record<string, string> = { ...a, ...key };
    if (b !== undefined) headers['content-type'] = op.json ? 'application/json' : 'multipart/form-data; boundary=probeboundary';
    return request(op, { params, rawParams: {}, rawQuery: '', headers, body: b }, 'probe', writes ? 'refused' : 'answered');
  });
}

/**
 * Hostile requests to the operations of both services. Each (operation, kind of defect) pair is
 * weighted on its own, so routes with bodies — where most of the surface is — get most requests.
 */
export function fuzzRequests(operations: readonly Operation[], ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const strategies: fc.WeightedArbitrary<FuzzRequest>[] = [];
  for (const op of operations) {
    strategies.push({ weight: 1, arbitrary: authDefects(op, ctx) }, { weight: 2, arbitrary: probe(op, ctx) });
    if (op.json) strategies.push({ weight: 10, arbitrary: jsonDefects(op, ctx) });
    if (op.multipart) strategies.push({ weight: 14, arbitrary: multipartDefects(op, ctx) });
    const params = paramDefects(op, ctx);
    if (params) strategies.push({ weight: 2, arbitrary: params });
  }
  return fc.oneof(...strategies);
}

// ---------------------------------------------------------------------------------------------
// Sending and judging

/** Sends one request as is (raw target, raw bytes); rejects after `timeoutMs` (a hang). */
export function send(base: string, req: FuzzRequest, options: { timeoutMs: number; agent?: Agent }): Promise<FuzzAnswer> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, answer?: FuzzAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answer as FuzzAnswer);
    };
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers, agent: options.agent ?? false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', (error) => finish(error));
      incoming.on('end', () =>
        finish(undefined, { status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type'] ?? ''), body: Buffer.concat(chunks), ms: performance.now() - started }),
      );
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    // A server that answers before reading the whole body (413) may reset the connection while we
    // still write: the answer, if it came, counts.
    outgoing.on('error', (error) => setTimeout(() => finish(error), 50));
    outgoing.end(req.body);
  });
}

/** Why an answer breaks the contract, or undefined when it keeps it. */
export function violation(req: FuzzRequest, answer: FuzzAnswer): string | undefined {
  if (answer.status >= 500) return `server error ${answer.status}`;
  if (req.expect === 'refused' && (answer.status < 400 || answer.status >= 500)) return `not refused: ${answer.status}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/problem+json')) return `${answer.status} is not problem+json (${answer.contentType})`;
  let problem: { code?: unknown; status?: unknown };
  try {
    problem = JSON.parse(answer.body.toString('utf8')) as typeof problem;
  } catch {
    return `${answer.status} body is not JSON`;
  }
  if (typeof problem.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(problem.code)) return `${answer.status} problem without a code`;
  if (problem.status !== answer.status) return `problem status ${String(problem.status)} differs from HTTP ${answer.status}`;
  return undefined;
}

/** The problem code of an answer (or its status class), for counts. */
export function answerCode(answer: FuzzAnswer): string {
  if (answer.status < 400) return 'OK';
  try {
    return String((JSON.parse(answer.body.toString('utf8')) as { code?: unknown }).code ?? '?');
  } catch {
    return '?';
  }
}
