/**
 * License types' fields schemas (the JSON Schema of a type's surface fields, 照面信息). Schemas stay
 * off-chain: the ledger records only their digest (`fieldsSchemaDigest`), this store keeps the
 * schema itself, keyed by that digest, one file each. A schema is compiled once (strict ajv: an
 * unknown keyword or format is refused when the type is registered, not when a license is issued).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../domain/canonical-json';
import { CodedError } from '../domain/coded-error';
import { digestOf, parseDigest } from '../domain/digest';
import type { FieldError } from '../service/problem';

/** The digest the ledger records for a fields schema: SM3 over its canonical JSON. */
export function fieldsSchemaDigest(schema: Readonly<Record<string, unknown>>): string {
  return digestOf(Buffer.from(canonicalJson(schema)), 'sm3');
}

export class FieldsSchemaStore {
  readonly #dir: string;
  readonly #ajv: Ajv;
  readonly #compiled = new Map<string, ValidateFunction>();

  /** @param dir folder of the schema files (created if missing). */
  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
    // Same stance as the routes: nothing coerced, defaulted or stripped — fields are hashed as sent.
    this.#ajv = new Ajv({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true });
    addFormats(this.#ajv);
  }

  /**
   * Checks that `schema` is a usable JSON Schema of an object and stores it.
   * @returns its digest.
   * @throws CodedError `VALIDATION_FAILED` when it does not compile or does not describe an object.
   */
  async put(schema: Readonly<Record<string, unknown>>): Promise<string> {
    const digest = this.check(schema);
    const path = this.#path(digest);
    if (!existsSync(path)) {
      await writeFile(`${path}.tmp`, canonicalJson(schema));
      await rename(`${path}.tmp`, path);
    }
    return digest;
  }

  /**
   * Checks that `schema` is a usable JSON Schema of an object, without storing it.
   * @returns its digest.
   * @throws CodedError `VALIDATION_FAILED`.
   */
  check(schema: Readonly<Record<string, unknown>>): string {
    if (schema.type !== 'object') throw new CodedError('VALIDATION_FAILED', 'fieldsSchema must describe an object ("type": "object")');
    const digest = fieldsSchemaDigest(schema);
    this.#compile(digest, schema);
    return digest;
  }

  /** The schema stored under `digest`, or undefined. */
  get(digest: string): Record<string, unknown> | undefined {
    const path = this.#path(digest);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
  }

  /**
   * Validates `fields` against the schema stored under `digest`.
   * @returns the failures, `field` as a JSON pointer under `prefix`; empty when valid.
   * @throws CodedError `NOT_FOUND` when this gateway does not hold the schema.
   */
  validate(digest: string, fields: unknown, prefix = 'body/fields'): FieldError[] {
    let validate = this.#compiled.get(digest);
    if (!validate) {
      const schema = this.get(digest);
      if (!schema) throw new CodedError('NOT_FOUND', `the fields schema ${digest} is not held by this gateway; register the license type through it`);
      validate = this.#compile(digest, schema);
    }
    if (validate(fields)) return [];
    return (validate.errors ?? []).map((e) => fieldError(e, prefix));
  }

  #compile(digest: string, schema: Readonly<Record<string, unknown>>): ValidateFunction {
    let validate = this.#compiled.get(digest);
    if (validate) return validate;
    try {
      // Without $id/$schema: two types may share a schema, and ajv refuses a second schema with one $id.
      const { $id: _id, $schema: _schema, ...body } = schema;
      validate = this.#ajv.compile(body);
    } catch (error) {
      throw new CodedError('VALIDATION_FAILED', `fieldsSchema is not a usable JSON Schema: ${(error as Error).message}`);
    }
    this.#compiled.set(digest, validate);
    return validate;
  }

  #path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.#dir, `${algorithm}-${hex}.json`);
  }
}

function fieldError(e: ErrorObject, prefix: string): FieldError {
  const params = e.params as Record<string, unknown>;
  const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  return { field: `${prefix}${e.instancePath}${extra}${missing}`, message: e.message ?? 'is not valid' };
}
