/**
 * The records the hardening tests act on, made through the real services over HTTP: a license of
 * agency A (and a batch), a material the portal keeps for a citizen, a grant of it to the relying
 * agency, a receipt of one reuse, a dispute the portal raised and the admin accepted, agency A's
 * seal. Each maker returns what later requests name (identifiers, ids, digests), and fails loudly
 * when the service refuses — a fixture that silently is not there would make refusals meaningless.
 */
import { randomBytes } from 'node:crypto';
import { citizenIdCheckCharacter, usccCheckCharacter } from '../../domain/holder-code';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import type { DemoPrincipalName, TestResponse, TestSystem } from '../support/system';

export const TYPE_A = DEMO_LICENSE_TYPES.find((t) => t.issuers.includes('AgencyAMSP'))!;

let counter = 0;

/** A company holder (USCC with its check character), distinct per call. */
export function companyHolder(): { codeType: string; code: string } {
  const first17 = `91310000MA${String(Date.now() % 1e5).padStart(5, '0')}${String(++counter % 100).padStart(2, '0')}`;
  return { codeType: '001', code: `${first17}${usccCheckCharacter(first17)}` };
}

/** A citizen holder (GB 11643 number with its check character), distinct per call. */
export function citizenHolder(): { codeType: string; code: string } {
  const first17 = `31010119900101${String((++counter * 7) % 1000).padStart(3, '0')}`;
  return { codeType: '111', code: `${first17}${citizenIdCheckCharacter(first17)}` };
}

/** The body of `POST /v1/licenses` for agency A's demo type. */
export function licenseBody(holder = companyHolder(), name = '上海某某餐饮有限公司'): Record<string, unknown> {
  return {
    typeCode: TYPE_A.typeCode,
    number: `HX${Date.now()}${++counter}`,
    holder: { name, ...holder },
    issuedOn: '2025-01-02',
    validFrom: '2025-01-02',
    validUntil: '2099-12-31',
    areaCode: '310000',
    fields: { 经营场所: '上海市黄浦区某路1号', 主体业态: '餐饮服务经营者' },
  };
}

/** A small PDF-looking file, different each call. */
export function pdf(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(512)]);
}

/** A `multipart/form-data` upload body for `POST /v1/materials`. */
export function uploadForm(holder: { codeType: string; code: string }, bytes = pdf(), kind = '身份证明'): FormData {
  const form = new FormData();
  form.append('holderCodeType', holder.codeType);
  form.append('holderCode', holder.code);
  form.append('kind', kind);
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'material.pdf');
  return form;
}

function expectStatus(what: string, res: TestResponse, ...statuses: number[]): TestResponse {
  if (!statuses.includes(res.status)) throw new Error(`fixture ${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
  return res;
}

/** Sends a multipart upload as `who` (the test client sends JSON or raw bodies only). */
export async function upload(ts: TestSystem, who: DemoPrincipalName, form: FormData, headers: Record<string, string> = {}): Promise<TestResponse> {
  const response = await fetch(`${ts.gatewayUrl}/v1/materials`, { method: 'POST', headers: { ...ts.auth(who), ...headers }, body: form });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export interface IssuedFixture {
  readonly identifier: string;
  readonly txId: string;
  readonly digest: string;
  readonly document: Record<string, unknown>;
  readonly holder: { codeType: string; code: string };
}

export async function issueLicense(ts: TestSystem, who: DemoPrincipalName = 'issuerA', body = licenseBody()): Promise<IssuedFixture> {
  const res = expectStatus('issue', await ts.request('POST', '/v1/licenses', { as: who, body }), 201);
  const { codeType, code } = body.holder as IssuedFixture['holder'];
  return { identifier: res.body.identifier, txId: res.body.txId, digest: res.body.digest, document: res.body.document, holder: { codeType, code } };
}

export async function issueBatch(ts: TestSystem): Promise<string> {
  const res = expectStatus('batch', await ts.request('POST', '/v1/licenses/batch', { as: 'issuerA', body: { licenses: [licenseBody(), licenseBody()] } }), 200);
  return res.body.batchId as string;
}

export interface MaterialFixture {
  readonly materialId: string;
  readonly digest: string;
  readonly holder: { codeType: string; code: string };
}

export async function uploadMaterial(ts: TestSystem, holder = citizenHolder()): Promise<MaterialFixture> {
  const res = expectStatus('upload', await upload(ts, 'portal', uploadForm(holder)), 201);
  return { materialId: res.body.materialId, digest: res.body.digest, holder };
}

/** A grant of `material` to the relying agency (VerifierMSP), for `purpose`, with `maxUses` uses. */
export async function grant(ts: TestSystem, material: MaterialFixture, maxUses = 100, purpose = '社保办理'): Promise<string> {
  const body = { holder: material.holder, grantee: 'VerifierMSP', purpose, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses };
  const res = expectStatus('grant', await ts.request('POST', `/v1/materials/${material.materialId}/grants`, { as: 'portal', body }), 201);
  return res.body.grantId as string;
}

/** One reuse by the relying agency: answers the receipt id. */
export async function reuse(ts: TestSystem, material: MaterialFixture, grantId: string, purpose = '社保办理'): Promise<string> {
  const res = expectStatus('reuse', await ts.request('POST', '/v1/reuse', { as: 'verifier', base: ts.verifierUrl, body: { materialId: material.materialId, grantId, purpose } }), 200);
  return res.headers.get('x-receipt-id') as string;
}

/** A dispute the portal raises on `license` for its holder. */
export async function raiseDispute(ts: TestSystem, license: IssuedFixture, reason = '经营场所地址有误'): Promise<string> {
  const res = expectStatus('dispute', await ts.request('POST', '/v1/disputes', { as: 'portal', body: { subject: { kind: 'license', id: license.identifier }, reason, holder: license.holder } }), 201);
  return res.body.disputeId as string;
}

/** A dispute raised and accepted (assigned to agency A). */
export async function acceptedDispute(ts: TestSystem, license: IssuedFixture): Promise<string> {
  const disputeId = await raiseDispute(ts, license);
  expectStatus('accept', await ts.request('POST', `/v1/disputes/${disputeId}/accept`, { as: 'admin', body: { note: '受理' } }), 200);
  return disputeId;
}

/** Agency A's active demo seal. */
export async function sealOfA(ts: TestSystem): Promise<string> {
  const res = expectStatus('seals', await ts.request('GET', '/v1/seals', { as: 'issuerA' }), 200);
  const seal = (res.body as Array<{ sealId: string; status: string }>).find((s) => s.status === 'ACTIVE');
  if (!seal) throw new Error('fixture seal: agency A has no active seal');
  return seal.sealId;
}

/** A 1×1 PNG, base64 (a seal picture). */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The body of `POST /v1/seals` for a seal whose key the gateway makes. */
export function sealBody(format: 'GBT38540' | 'PKCS7' = 'PKCS7'): Record<string, unknown> {
  const now = Date.now();
  return {
    name: `测试专用章${++counter}`,
    kind: '业务专用章',
    format,
    validStart: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    validEnd: new Date(now + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    picture: PNG_BASE64,
  };
}

/** Everything at once, for tests that only need one of each. */
export interface Fixtures {
  readonly license: IssuedFixture;
  readonly batchId: string;
  readonly material: MaterialFixture;
  readonly grantId: string;
  readonly receiptId: string;
  readonly disputeId: string;
  readonly sealId: string;
}

export async function makeFixtures(ts: TestSystem): Promise<Fixtures> {
  const license = await issueLicense(ts);
  const batchId = await issueBatch(ts);
  const material = await uploadMaterial(ts);
  const grantId = await grant(ts, material);
  const receiptId = await reuse(ts, material, grantId);
  const disputeId = await acceptedDispute(ts, license);
  const sealId = await sealOfA(ts);
  return { license, batchId, material, grantId, receiptId, disputeId, sealId };
}
