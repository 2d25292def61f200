/**
 * Input validation. The gateway may be buggy or compromised, so every argument is checked here:
 * complex inputs arrive as one JSON string validated with ajv (`additionalProperties: false`
 * refuses unknown fields, nothing is coerced or defaulted), simple ones as plain strings checked
 * against the same patterns. Every failure is `VALIDATION_FAILED` naming the field.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { CodedError } from '../domain/coded-error';
import { DIGEST_PATTERN } from '../domain/digest';
import { HOLDER_REF_PATTERN } from '../domain/holder-ref';
import { DATE_PATTERN, TIME_PATTERN } from './clock';

const ajv = new Ajv({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
});

/** Longest JSON argument accepted (a batch of licenses is the largest input). */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

export const PATTERNS = {
  mspId: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  uscc: '^[0-9A-HJ-NP-RTUWXY]{18}$',
  typeCode: '^[0-9A-HJ-NP-RTUWXY]{18}[0-9]{3}$',
  /** Ids chosen by gateways (materials, seals, batches) and transaction ids (grants, receipts, disputes). */
  id: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  holderRef: HOLDER_REF_PATTERN,
  digest: DIGEST_PATTERN,
  holderCodeType: '^[0-9]{3}$',
  /** GB/T 2260 area code (6 digits), optionally extended to township (9) or village (12). */
  areaCode: '^[0-9]{6}([0-9]{3}|[0-9]{6})?$',
  mediaType: '^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$',
  endpoint: '^https?://[^\\s]{1,250}$',
  time: TIME_PATTERN,
  date: DATE_PATTERN,
  /** Some non-space character; no NUL (it delimits composite keys). */
  text: '^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$',
} as const;

/** JSON Schema fragments. */
export const S = {
  mspId: { type: 'string', pattern: PATTERNS.mspId },
  uscc: { type: 'string', pattern: PATTERNS.uscc },
  typeCode: { type: 'string', pattern: PATTERNS.typeCode },
  identifier: { type: 'string', minLength: 20, maxLength: 128 },
  id: { type: 'string', pattern: PATTERNS.id },
  holderRef: { type: 'string', pattern: PATTERNS.holderRef },
  digest: { type: 'string', pattern: PATTERNS.digest },
  sm3Digest: { type: 'string', pattern: '^sm3:[0-9a-f]{64}$' },
  holderCodeType: { type: 'string', pattern: PATTERNS.holderCodeType },
  areaCode: { type: 'string', pattern: PATTERNS.areaCode },
  time: { type: 'string', pattern: PATTERNS.time },
  date: { type: 'string', pattern: PATTERNS.date },
  text: (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: PATTERNS.text }),
} as const;

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 10)
    .map((e) => {
      const where = e.instancePath === '' ? 'input' : e.instancePath;
      const extra =
        e.keyword === 'additionalProperties'
          ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
          : '';
      return `${where} ${e.message ?? 'is invalid'}${extra}`;
    })
    .join('; ');
}

/** A parser of one JSON string argument against a schema. */
export type InputParser<T> = (text: string) => T;

export function inputParser<T>(schema: Record<string, unknown>): InputParser<T> {
  const validate = ajv.compile(schema);
  return (text: string): T => {
    if (typeof text !== 'string' || text.length === 0) {
      throw new CodedError('VALIDATION_FAILED', 'input must be a JSON text');
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_INPUT_BYTES) {
      throw new CodedError('VALIDATION_FAILED', `input is larger than ${MAX_INPUT_BYTES} bytes`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CodedError('VALIDATION_FAILED', 'input is not valid JSON');
    }
    if (!validate(value)) throw new CodedError('VALIDATION_FAILED', describe(validate.errors));
    return value as T;
  };
}

/** Checks one plain string argument against a pattern. */
export function checkArg(value: string, pattern: string, field: string, maxLength = 256): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !new RegExp(pattern).test(value)) {
    throw new CodedError('VALIDATION_FAILED', `${field} is malformed`);
  }
  return value;
}

/** An object schema with every listed property required unless named in `optional`. */
export function object(
  properties: Record<string, unknown>,
  optional: readonly string[] = [],
): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

/** Sorted copy without duplicates (arrays stored on the ledger are sets). */
export function sortedSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
