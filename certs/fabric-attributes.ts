/**
 * Fabric CA's attribute extension: how an identity's attributes (here `lc.role`) ride in its
 * certificate, so chaincode reads them with `ctx.clientIdentity.getAttributeValue(name)`.
 *
 * Byte format, as fabric-ca writes it (lib/attrmgr/attrmgr.go and
 * lib/serverrequestcontext.go `GetAttrExtension`): extension OID 1.2.3.4.5.6.7.8.1, not critical,
 * whose extnValue OCTET STRING holds the raw bytes of Go's `json.Marshal(Attributes{Attrs: map})`,
 * i.e. `{"attrs":{…}}` with keys sorted bytewise, no whitespace, and `<`, `>`, `&`, U+2028,
 * U+2029 escaped as `\u003c` … (Go's HTML-safe default). fabric-shim's ClientIdentity reads it
 * back with `JSON.parse(extension.value.toString())`.
 *
 * At registration fabric-ca adds `hf.EnrollmentID`, `hf.Type` and `hf.Affiliation`
 * (lib/serverregister.go), all marked `ecert: true`, so they are in every enrolment certificate
 * that requests no attributes explicitly; a registrar cannot set them ("Cannot register fixed value
 * attribute", lib/attr/attribute.go).
 */

/** OID of Fabric CA's attribute extension. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

/** Attribute names fabric-ca fixes itself and refuses from registrars. */
export const RESERVED_FABRIC_ATTRS: readonly string[] = ['hf.EnrollmentID', 'hf.Type', 'hf.Affiliation'];

/** The attributes Fabric CA puts in an enrolment certificate by default. */
export function defaultFabricAttributes(enrollmentId: string, type: string, affiliation = ''): Record<string, string> {
  return { 'hf.Affiliation': affiliation, 'hf.EnrollmentID': enrollmentId, 'hf.Type': type };
}

// A lone surrogate cannot be encoded in UTF-8; Go would silently turn it into U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A JSON string literal exactly as Go's encoding/json writes it (HTML-safe escaping). */
function goJsonString(value: string): string {
  // JSON.stringify and Go agree on `"`, `\`, \b \f \n \r \t and \u00xx (lower-case hex) for the
  // other control characters (Go ≥ 1.22); Go additionally escapes these five.
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Encodes attributes as the extension value Fabric CA writes: `{"attrs":{…}}` in Go's
 * `json.Marshal` form, UTF-8.
 * @throws Error when a name or value is not a string or holds an unpaired surrogate.
 */
export function encodeFabricAttributes(attrs: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(attrs);
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw new TypeError(`attribute ${JSON.stringify(name)} must be a string`);
    if (LONE_SURROGATE.test(name) || LONE_SURROGATE.test(value)) {
      throw new TypeError(`attribute ${JSON.stringify(name)} is not well-formed Unicode`);
    }
  }
  // Go sorts map keys by their UTF-8 bytes; JS `<` compares UTF-16 units and would disagree.
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const body = entries.map(([name, value]) => `${goJsonString(name)}:${goJsonString(value)}`).join(',');
  return new Uint8Array(Buffer.from(`{"attrs":{${body}}}`, 'utf8'));
}

/**
 * Decodes the extension value back to attributes, tolerating any JSON whitespace or key order.
 * @throws Error when the value is not `{"attrs":{name: string, …}}`.
 */
export function decodeFabricAttributes(value: Uint8Array): Record<string, string> {
  const parsed: unknown = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  const attrs = typeof parsed === 'object' && parsed !== null ? (parsed as { attrs?: unknown }).attrs : undefined;
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    throw new TypeError('attribute extension is not {"attrs":{…}}');
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(attrs)) {
    if (typeof v !== 'string') throw new TypeError(`attribute ${JSON.stringify(name)} is not a string`);
    out[name] = v;
  }
  return out;
}
