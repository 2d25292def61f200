/**
 * Shared fixtures for the verifier tests: the real embedded system (gateway and verifier on
 * ephemeral ports, real HTTP), and small clients for what the tests do through the gateway —
 * issue, change status, renew, dispute, seals, materials, grants.
 */
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import type { SealedLicense } from '../../domain/license-document';
import { DEMO_ORGANISATIONS } from '../../system/demo-consortium';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { type DemoPrincipalName, type TestSystem, startTestSystem } from '../support/system';

export const AGENCY_A = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AgencyAMSP')!;
export const AGENCY_B = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AgencyBMSP')!;
export const TYPE_A = DEMO_LICENSE_TYPES.find((t) => t.issuers.includes('AgencyAMSP'))!;
export const TYPE_B = DEMO_LICENSE_TYPES.find((t) => t.issuers.includes('AgencyBMSP'))!;

/** A company USCC with a correct check character, distinct per `n`. */
export function companyCode(n: number): string {
  const first17 = `91310000MA1F${String(n).padStart(5, '0')}`;
  return `${first17}${usccCheckCharacter(first17)}`;
}

export interface JsonAnswer<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface IssuedLicense {
  readonly identifier: string;
  readonly digest: string;
  readonly document: SealedLicense;
  readonly qr: string;
}

let counter = 0;

/** A license request for agency A's demo type (a food business license). */
export function licenseInputA(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  const n = Math.floor(Math.random() * 90_000) + counter;
  return {
    typeCode: TYPE_A.typeCode,
    number: `JY3${String(n).padStart(11, '0')}`,
    holder: { name: `上海某某餐饮有限公司${n}`, codeType: '001', code: companyCode(n) },
    issuedOn: '2025-01-02',
    validFrom: '2025-01-02',
    validUntil: '2099-12-31',
    areaCode: '310000',
    fields: { 经营场所: '上海市黄浦区某路1号', 主体业态: '餐饮服务经营者' },
    ...overrides,
  };
}

export class VerifierTestSystem {
  readonly ts: TestSystem;
  readonly verifierUrl: string;

  constructor(ts: TestSystem) {
    this.ts = ts;
    this.verifierUrl = `http://127.0.0.1:${(ts.system.verifier.server.address() as AddressInfo).port}`;
  }

  get gatewayUrl(): string {
    return this.ts.gatewayUrl;
  }

  auth(name: DemoPrincipalName): Record<string, string> {
    return this.ts.auth(name);
  }

  /** JSON request to the gateway (`gateway`) or the verifier (`verifier`). */
  async call<T = any>(service: 'gateway' | 'verifier', method: string, path: string, body?: unknown, who?: DemoPrincipalName): Promise<JsonAnswer<T>> {
    const base = service === 'gateway' ? this.gatewayUrl : this.verifierUrl;
    const headers: Record<string, string> = { accept: 'application/json', ...(who ? this.auth(who) : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /** Issues through the gateway as `who`; fails the test on anything but 201. */
  async issue(t: Test, input: Record<string, unknown> = licenseInputA(), who: DemoPrincipalName = 'issuerA'): Promise<IssuedLicense> {
    const res = await this.call('gateway', 'POST', '/v1/licenses', input, who);
    if (res.status !== 201) t.fail(`issue answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as IssuedLicense;
  }

  /** `POST /v1/verify/license` (public). */
  verify(document: unknown): Promise<JsonAnswer> {
    return this.call('verifier', 'POST', '/v1/verify/license', { document });
  }

  /** `GET /v1/verify/license/:identifier?digest=` (public). */
  verifyQr(identifier: string, digest: string): Promise<JsonAnswer> {
    return this.call('verifier', 'GET', `/v1/verify/license/${encodeURIComponent(identifier)}?digest=${encodeURIComponent(digest)}`);
  }

  async status(t: Test, identifier: string, action: string, who: DemoPrincipalName = 'issuerA'): Promise<void> {
    const res = await this.call('gateway', 'POST', `/v1/licenses/${encodeURIComponent(identifier)}/status`, { action, reason: `test: ${action}` }, who);
    if (res.status !== 200) t.fail(`${action} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  close(): Promise<void> {
    return this.ts.close();
  }
}

/** Starts the system for one test file; closed when the file's test ends. */
export async function startVerifierSystem(t: Test): Promise<VerifierTestSystem> {
  const system = new VerifierTestSystem(await startTestSystem());
  t.teardown(() => system.close());
  return system;
}

/** A deep copy with `edit` applied (tampering). */
export function tampered<T>(value: T, edit: (copy: any) => void): T {
  const copy = structuredClone(value);
  edit(copy);
  return copy;
}

/** The check of `name` in a verification answer. */
export function checkOf(answer: { checks: Array<{ name: string; ok: boolean; code: string }> }, name: string): { name: string; ok: boolean; code: string; message: string; messageEn: string; detail?: any } {
  const found = answer.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found as never;
}
