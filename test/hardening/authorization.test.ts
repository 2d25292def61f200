/**
 * The authorisation matrix over HTTP (authorization-matrix.ts): every route of both services,
 * called by every demo principal, without a token, with a malformed token and with a token of
 * another deployment, answers exactly the expected status or problem code — zero escalations.
 *
 * Each cell gets the fixture its route names. Where the caller is expected to succeed, the fixture
 * is made fresh for that cell (a success consumes it: a suspended license, an approved seal); a
 * refusal changes nothing, so refused cells share one.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { PROBLEMS } from '../../service/problem';
import { DEMO_ORGANISATIONS } from '../../system/demo-consortium';
import { usccCheckCharacter } from '../../domain/holder-code';
import { type DemoPrincipalName, type TestSystem, startTestSystem } from '../support/system';
import { CALLERS, type Caller, type Cell, MATRIX, SCOPES, type Scope, expected } from './authorization-matrix';
import {
  type Fixtures,
  TYPE_A,
  acceptedDispute,
  grant,
  issueLicense,
  licenseBody,
  makeFixtures,
  pdf,
  raiseDispute,
  sealBody,
  uploadForm,
} from './fixtures';
import { loadOperations } from './fuzz-run';

interface CellRequest {
  readonly service?: 'gateway' | 'verifier';
  readonly method: string;
  readonly path: string;
  /** JSON, or a multipart form. */
  readonly body?: unknown;
}

interface Shared extends Fixtures {
  /** A seal agency A applied for, not approved. */
  readonly appliedSeal: string;
  /** An undelivered receipt of the relying agency. */
  readonly receiptId: string;
}

interface CellContext {
  readonly ts: TestSystem;
  readonly fx: Shared;
  /** The caller is expected to succeed: make a fresh fixture if the route consumes it. */
  readonly allowed: boolean;
}

const AGENCY_A = DEMO_ORGANISATIONS.find((o) => o.mspId === 'AgencyAMSP')!;
let n = 0;

async function ok(what: string, promise: Promise<{ status: number; body: any }>, ...statuses: number[]): Promise<any> {
  const res = await promise;
  if (!statuses.includes(res.status)) throw new Error(`fixture ${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

async function appliedSeal(ts: TestSystem): Promise<string> {
  return (await ok('apply seal', ts.request('POST', '/v1/seals', { as: 'issuerA', body: sealBody('GBT38540') }), 201)).sealId as string;
}

async function activeSeal(ts: TestSystem): Promise<string> {
  const sealId = await appliedSeal(ts);
  await ok('approve seal', ts.request('POST', `/v1/seals/${sealId}/approve`, { as: 'admin' }), 200);
  return sealId;
}

function identityOf(ts: TestSystem, name: DemoPrincipalName): string {
  return ts.system.principals.principals.find((p) => p.name === name)!.identityId;
}

function window(): { notBefore: string; notAfter: string } {
  const now = Date.now();
  return { notBefore: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'), notAfter: new Date(now + 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z') };
}

/** A use of the grant by the relying agency, recorded on the ledger but not delivered: its receipt. */
async function undeliveredReceipt(ts: TestSystem, fx: Fixtures): Promise<string> {
  const verifier = ts.system.principals.principals.find((p) => p.name === 'verifier')!;
  const input = JSON.stringify({ grantId: fx.grantId, materialId: fx.material.materialId, purpose: '社保办理' });
  const submitted = await verifier.contract.submit('consent:UseMaterial', { arguments: [input] });
  return (JSON.parse(Buffer.from(submitted.result).toString('utf8')) as { receiptId: string }).receiptId;
}

const holderQuery = (h: { codeType: string; code: string }): string => `codeType=${h.codeType}&code=${encodeURIComponent(h.code)}`;

/** How to call each route, given the fixtures. */
const REQUESTS: Readonly<Record<string, (c: CellContext) => CellRequest | Promise<CellRequest>>> = {
  'POST /v1/orgs': () => {
    n += 1;
    const first17 = `12310000MB${String(Date.now() % 1e5).padStart(5, '0')}${String(n % 100).padStart(2, '0')}`;
    return { method: 'POST', path: '/v1/orgs', body: { msp: `Matrix${Date.now()}${n}MSP`, name: `矩阵测试单位${n}`, code: `${first17}${usccCheckCharacter(first17)}`, roles: ['verifier'], areaCode: '310000' } };
  },
  'GET /v1/orgs': () => ({ method: 'GET', path: '/v1/orgs' }),
  'POST /v1/license-types': () => ({
    method: 'POST',
    path: '/v1/license-types',
    body: {
      typeCode: `${AGENCY_A.code}${String(100 + (++n % 900))}`,
      name: `矩阵测试证照${n}`,
      definerCode: AGENCY_A.code,
      holderCodeTypes: ['001'],
      issuers: ['AgencyAMSP'],
      fieldsSchema: { type: 'object', additionalProperties: false, properties: { 备注: { type: 'string', maxLength: 100 } } },
    },
  }),
  'GET /v1/license-types': () => ({ method: 'GET', path: '/v1/license-types' }),
  'GET /v1/license-types/{typeCode}': () => ({ method: 'GET', path: `/v1/license-types/${TYPE_A.typeCode}` }),

  'POST /v1/licenses': () => ({ method: 'POST', path: '/v1/licenses', body: licenseBody() }),
  'POST /v1/licenses/batch': () => ({ method: 'POST', path: '/v1/licenses/batch', body: { licenses: [licenseBody(), licenseBody()] } }),
  'GET /v1/licenses/batch/{batchId}': ({ fx }) => ({ method: 'GET', path: `/v1/licenses/batch/${fx.batchId}?issuer=AgencyAMSP` }),
  'GET /v1/licenses/{identifier}': ({ fx }) => ({ method: 'GET', path: `/v1/licenses/${fx.license.identifier}` }),
  'GET /v1/licenses/{identifier}/history': ({ fx }) => ({ method: 'GET', path: `/v1/licenses/${fx.license.identifier}/history` }),
  'POST /v1/licenses/{identifier}/status': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/licenses/${allowed ? (await issueLicense(ts)).identifier : fx.license.identifier}/status`,
    body: { action: 'suspend', reason: '矩阵测试' },
  }),
  'POST /v1/licenses/{identifier}/versions': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/licenses/${allowed ? (await issueLicense(ts)).identifier : fx.license.identifier}/versions`,
    body: { operation: 'change', changes: { fields: { 经营场所: '上海市浦东新区某路2号' } }, reason: '矩阵测试' },
  }),
  'GET /v1/holders/licenses': ({ fx }) => ({ method: 'GET', path: `/v1/holders/licenses?${holderQuery(fx.license.holder)}&purpose=${encodeURIComponent('核验')}` }),

  'POST /v1/seals': () => ({ method: 'POST', path: '/v1/seals', body: sealBody('GBT38540') }),
  'GET /v1/seals': () => ({ method: 'GET', path: '/v1/seals?owner=AgencyAMSP' }),
  'GET /v1/seals/{sealId}': ({ fx }) => ({ method: 'GET', path: `/v1/seals/${fx.sealId}` }),
  'POST /v1/seals/{sealId}/approve': async ({ ts, fx, allowed }) => ({ method: 'POST', path: `/v1/seals/${allowed ? await appliedSeal(ts) : fx.appliedSeal}/approve` }),
  'POST /v1/seals/{sealId}/authorizations': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/seals/${allowed ? await activeSeal(ts) : fx.sealId}/authorizations`,
    body: { subject: identityOf(ts, 'issuerA'), ...window() },
  }),
  'POST /v1/seals/{sealId}/authorizations/revoke': async ({ ts, fx, allowed }) => {
    let sealId = fx.sealId;
    if (allowed) {
      sealId = await activeSeal(ts);
      await ok('authorise', ts.request('POST', `/v1/seals/${sealId}/authorizations`, { as: 'issuerA', body: { subject: identityOf(ts, 'issuerA'), ...window() } }), 201);
    }
    return { method: 'POST', path: `/v1/seals/${sealId}/authorizations/revoke`, body: { subject: identityOf(ts, 'issuerA'), reason: '矩阵测试' } };
  },
  'POST /v1/seals/{sealId}/status': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/seals/${allowed ? await activeSeal(ts) : fx.sealId}/status`,
    body: { action: 'suspend', reason: '矩阵测试' },
  }),

  'GET /v1/ledger/info': () => ({ method: 'GET', path: '/v1/ledger/info' }),
  'GET /v1/ledger/blocks/{number}': () => ({ method: 'GET', path: '/v1/ledger/blocks/1' }),
  'GET /v1/ledger/transactions/{txId}': ({ fx }) => ({ method: 'GET', path: `/v1/ledger/transactions/${fx.license.txId}` }),

  'POST /v1/materials': ({ fx }) => ({ method: 'POST', path: '/v1/materials', body: uploadForm(fx.material.holder, pdf()) }),
  'GET /v1/materials/{materialId}': ({ fx }) => ({ method: 'GET', path: `/v1/materials/${fx.material.materialId}` }),
  'GET /v1/materials/{materialId}/content': async ({ ts, fx, allowed }) => ({
    method: 'GET',
    path: `/v1/materials/${fx.material.materialId}/content?receipt=${allowed ? await undeliveredReceipt(ts, fx) : fx.receiptId}`,
  }),
  'POST /v1/materials/{materialId}/grants': ({ fx }) => ({
    method: 'POST',
    path: `/v1/materials/${fx.material.materialId}/grants`,
    body: { holder: fx.material.holder, grantee: 'VerifierMSP', purpose: '矩阵测试', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 1 },
  }),
  'GET /v1/grants/{grantId}': ({ fx }) => ({ method: 'GET', path: `/v1/grants/${fx.grantId}` }),
  'DELETE /v1/grants/{grantId}': async ({ ts, fx, allowed }) => ({
    method: 'DELETE',
    path: `/v1/grants/${allowed ? await grant(ts, fx.material, 1, '矩阵测试') : fx.grantId}?${holderQuery(fx.material.holder)}`,
  }),
  'GET /v1/holders/materials': ({ fx }) => ({ method: 'GET', path: `/v1/holders/materials?${holderQuery(fx.material.holder)}` }),
  'GET /v1/holders/grants': ({ fx }) => ({ method: 'GET', path: `/v1/holders/grants?${holderQuery(fx.material.holder)}` }),
  'GET /v1/holders/receipts': ({ fx }) => ({ method: 'GET', path: `/v1/holders/receipts?${holderQuery(fx.material.holder)}` }),
  'GET /v1/holders/disputes': ({ fx }) => ({ method: 'GET', path: `/v1/holders/disputes?${holderQuery(fx.license.holder)}` }),

  'POST /v1/disputes': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: '/v1/disputes',
    body: { subject: { kind: 'license', id: allowed ? (await issueLicense(ts)).identifier : fx.license.identifier }, reason: '矩阵测试' },
  }),
  'GET /v1/disputes': () => ({ method: 'GET', path: '/v1/disputes' }),
  'GET /v1/disputes/{disputeId}': ({ fx }) => ({ method: 'GET', path: `/v1/disputes/${fx.disputeId}` }),
  'POST /v1/disputes/{disputeId}/accept': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/disputes/${allowed ? await raiseDispute(ts, await issueLicense(ts)) : fx.disputeId}/accept`,
    body: { note: '受理' },
  }),
  'POST /v1/disputes/{disputeId}/refuse': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/disputes/${allowed ? await raiseDispute(ts, await issueLicense(ts)) : fx.disputeId}/refuse`,
    body: { reason: '不予受理' },
  }),
  'POST /v1/disputes/{disputeId}/extend': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/disputes/${allowed ? await acceptedDispute(ts, await issueLicense(ts)) : fx.disputeId}/extend`,
    body: { reason: '需要补充材料' },
  }),
  'POST /v1/disputes/{disputeId}/resolve': async ({ ts, fx, allowed }) => ({
    method: 'POST',
    path: `/v1/disputes/${allowed ? await acceptedDispute(ts, await issueLicense(ts)) : fx.disputeId}/resolve`,
    body: { outcome: 'confirmed', note: '核实无误' },
  }),

  'POST /v1/verify/license': ({ fx }) => ({ service: 'verifier', method: 'POST', path: '/v1/verify/license', body: { document: fx.license.document } }),
  'GET /v1/verify/license/{identifier}': ({ fx }) => ({
    service: 'verifier',
    method: 'GET',
    path: `/v1/verify/license/${fx.license.identifier}?digest=${encodeURIComponent(fx.license.digest)}`,
  }),
  'POST /v1/verify/seal': ({ fx }) => ({
    service: 'verifier',
    method: 'POST',
    path: '/v1/verify/seal',
    body: { signature: (fx.license.document as { seal: { signature: string } }).seal.signature, digest: fx.license.digest },
  }),
  'POST /v1/verify/material': ({ fx }) => ({ service: 'verifier', method: 'POST', path: '/v1/verify/material', body: { digest: fx.material.digest } }),
  'POST /v1/reuse': ({ fx }) => ({ service: 'verifier', method: 'POST', path: '/v1/reuse', body: { materialId: fx.material.materialId, grantId: fx.grantId, purpose: '社保办理' } }),
};

const FOREIGN_TOKEN = `lc_${randomBytes(24).toString('base64url')}`;

function authorization(ts: TestSystem, caller: Caller): Record<string, string> {
  switch (caller) {
    case 'none':
      return {};
    case 'malformed':
      return { authorization: 'Bearer not a token!' };
    case 'foreign':
      return { authorization: `Bearer ${FOREIGN_TOKEN}` };
    default:
      return ts.auth(caller);
  }
}

async function call(ts: TestSystem, caller: Caller, request: CellRequest): Promise<{ status: number; contentType: string; code: string | undefined; body: any }> {
  const base = request.service === 'verifier' ? (ts.verifierUrl as string) : ts.gatewayUrl;
  const headers: Record<string, string> = { accept: 'application/json', ...authorization(ts, caller) };
  let body: string | FormData | undefined;
  if (request.body instanceof FormData) body = request.body;
  else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${request.path}`, { method: request.method, headers, ...(body !== undefined ? { body } : {}) });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const answer: any = /json/.test(contentType) && text !== '' ? JSON.parse(text) : undefined;
  return { status: response.status, contentType, code: contentType.startsWith('application/problem+json') ? answer?.code : undefined, body: answer };
}

/** Whether an allowed answer keeps to the caller's scope (SCOPES). */
function inScope(expect: Scope, body: any, mspId: string): boolean {
  switch (expect) {
    case 'kept-by-caller':
      return Array.isArray(body) && body.every((item: any) => item.custodianMsp === mspId);
    case 'empty':
      return Array.isArray(body) ? body.length === 0 : Array.isArray(body?.chains) && body.chains.length === 0;
    case 'owner-hidden':
      return body?.ownerRef === null;
    case 'nothing-issued':
      return body?.issued === 0 && Array.isArray(body?.results) && body.results.every((r: any) => r.error?.code === 'TYPE_NOT_AUTHORIZED');
  }
}

function describe(cell: Cell): string {
  return typeof cell === 'number' ? String(cell) : `${(PROBLEMS as Record<string, { status: number }>)[cell]?.status ?? '?'} ${cell}`;
}

t.test('authorisation matrix over HTTP', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const base = await makeFixtures(ts);
  const fx: Shared = { ...base, appliedSeal: await appliedSeal(ts), receiptId: await undeliveredReceipt(ts, base) };

  const routes = (await loadOperations(ts)).map((op) => `${op.method} ${op.template}`);
  t.same(routes.filter((r) => !(r in MATRIX)), [], 'every route of both OpenAPI documents has a row');
  t.same(Object.keys(MATRIX).filter((r) => !routes.includes(r)), [], 'every row is a route');
  t.same(Object.keys(MATRIX).filter((r) => !(r in REQUESTS)), [], 'every row has a request');

  let cells = 0;
  const escalations: string[] = [];
  for (const route of Object.keys(MATRIX)) {
    for (const caller of CALLERS) {
      const want = expected(route, caller);
      const request = await (REQUESTS[route] as (c: CellContext) => CellRequest | Promise<CellRequest>)({ ts, fx, allowed: typeof want === 'number' });
      const got = await call(ts, caller, request);
      cells += 1;
      const actual = got.status < 400 ? got.status : `${got.status} ${got.code ?? got.contentType}`;
      if (typeof want !== 'number' && got.status < 400) escalations.push(`${route} as ${caller}: ${got.status}`);
      if (typeof want === 'number') t.equal(got.status, want, `${route} as ${caller}: ${want}`);
      else t.equal(actual, describe(want), `${route} as ${caller}: ${want}`);
      const scope = SCOPES[route];
      if (scope?.callers.includes(caller) && got.status < 400 && !inScope(scope.expect, got.body, ts.system.principals.principals.find((p) => p.name === caller)?.mspId ?? '')) {
        escalations.push(`${route} as ${caller}: ${scope.expect} expected, got ${JSON.stringify(got.body).slice(0, 200)}`);
      }
    }
  }
  t.same(escalations, [], `no escalation in ${cells} cells`);
  t.equal(cells, Object.keys(MATRIX).length * CALLERS.length);
});
