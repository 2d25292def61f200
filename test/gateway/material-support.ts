/**
 * Helpers of the material, consent and dispute tests: sample files, multipart uploads over real
 * HTTP, holders with valid codes, and the demo principals' ledger identities (for the steps that
 * belong to other services, e.g. the grantee's `consent:UseMaterial`).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { citizenIdCheckCharacter, usccCheckCharacter } from '../../domain/holder-code';
import type { Principal } from '../../service/principal';
import type { DemoPrincipalName, TestSystem } from '../support/system';

export interface Holder {
  readonly codeType: string;
  readonly code: string;
}

/** A citizen holder with a valid identity number (GB 11643), distinct per `n`. */
export function citizen(n: number): Holder {
  const first17 = `11010519800101${String(n % 1000).padStart(3, '0')}`;
  return { codeType: '111', code: `${first17}${citizenIdCheckCharacter(first17)}` };
}

/** A company holder with a valid USCC, distinct per `n`. */
export function company(n: number): Holder {
  const first17 = `91310000${String(n).padStart(9, '0')}`;
  return { codeType: '001', code: `${first17}${usccCheckCharacter(first17)}` };
}

/** A PDF-looking file of `size` bytes (header, then random bytes). */
export function pdfBytes(size = 4096): Buffer {
  const head = Buffer.from('%PDF-1.7\n');
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

/** A PNG-looking file. */
export function pngBytes(size = 2048): Buffer {
  const head = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

export interface FilePart {
  readonly data: Buffer;
  readonly type?: string;
  readonly filename?: string;
  readonly field?: string;
}

/** A multipart form: fields in order, then the files. */
export function form(fields: Readonly<Record<string, string>>, ...files: FilePart[]): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  for (const file of files) {
    body.append(file.field ?? 'file', new Blob([file.data], { type: file.type ?? 'application/pdf' }), file.filename ?? 'material.pdf');
  }
  return body;
}

/** The usual upload fields for a holder. */
export function uploadFields(holder: Holder, kind = '身份证明', caseNo?: string): Record<string, string> {
  return { holderCodeType: holder.codeType, holderCode: holder.code, kind, ...(caseNo ? { caseNo } : {}) };
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { code?: string };
}

/** Sends a request and parses the JSON (or problem+json) answer. */
export async function call(t: TestSystem, who: DemoPrincipalName | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...(who ? t.auth(who) : {}), ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${t.gatewayUrl}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}

/** Uploads a material as `who`. */
export function upload(t: TestSystem, who: DemoPrincipalName | undefined, fields: Record<string, string>, file: FilePart, headers: Record<string, string> = {}): Promise<Answer> {
  return call(t, who, 'POST', '/v1/materials', form(fields, file), headers);
}

/** The query string naming a holder. */
export function holderQuery(holder: Holder): string {
  return `codeType=${holder.codeType}&code=${encodeURIComponent(holder.code)}`;
}

/** A demo principal's ledger identity. */
export function principal(t: TestSystem, name: DemoPrincipalName): Principal {
  const found = t.system.principals.principals.find((p) => p.name === name);
  if (!found) throw new Error(`no principal ${name}`);
  return found;
}

/** Submits as a demo principal directly on the ledger; answers the parsed result. */
export async function ledgerSubmit<T>(t: TestSystem, name: DemoPrincipalName, transaction: string, input: unknown): Promise<T> {
  const result = await principal(t, name).contract.submit(transaction, { arguments: [typeof input === 'string' ? input : JSON.stringify(input)] });
  return JSON.parse(Buffer.from(result.result).toString('utf8')) as T;
}

export async function ledgerEvaluate<T>(t: TestSystem, name: DemoPrincipalName, transaction: string, ...args: string[]): Promise<T> {
  const bytes = await principal(t, name).contract.evaluate(transaction, { arguments: args });
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}

/** Files of the material store (blobs and staging), relative to its root. */
export function storeFiles(t: TestSystem): string[] {
  const root = join(t.dataDir, 'gateway', 'materials');
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; name: string; parentPath?: string; path?: string }>)
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path ?? '', e.name).slice(root.length + 1));
}

/** An expiry one day ahead. */
export function tomorrow(): string {
  return new Date(Date.now() + 86_400_000).toISOString();
}
