/**
 * Chaincode test support: a consortium on the embedded test network (real CAs, real signatures,
 * the contracts run through fabric-shim's dispatcher), identities of every role, and helpers to
 * submit JSON inputs, read JSON answers, assert coded refusals and submit at a chosen time.
 */
import './quiet';
import type { Test } from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import { holderRef } from '../../domain/holder-ref';
import { makeLicenseIdentifier } from '../../domain/license-identifier';
import { digestOf } from '../../domain/digest';
import { newNodeSigner } from '../../certs/signer';
import { createProposal } from '../../ledger/embedded/proposal';
import type { SubmitResult } from '../../ledger/client';
import { CommitError } from '../../ledger/errors';
import { json, startTestNetwork, type TestClient, type TestNetwork } from '../support/network';

export { json };

export const AUTHORITY = 'AuthorityMSP';
export const AGENCY_A = 'AgencyAMSP';
export const AGENCY_B = 'AgencyBMSP';
export const PORTAL = 'PortalMSP';
export const VERIFIER = 'VerifierMSP';
export const AUDIT = 'AuditMSP';
/** A member organisation that is never registered. */
export const STRANGER = 'StrangerMSP';

/** A valid USCC from a 17-symbol body. */
export function uscc(body17: string): string {
  return body17 + usccCheckCharacter(body17);
}

export const CODES = {
  [AUTHORITY]: uscc('11100000000013338'),
  [AGENCY_A]: uscc('11220000013544541'),
  [AGENCY_B]: uscc('11430000006122244'),
  [PORTAL]: uscc('12310000MB0000001'),
  [VERIFIER]: uscc('12310000MB0000002'),
  [AUDIT]: uscc('12310000MB0000003'),
} as const;

export const TYPE_CODE = `${CODES[AUTHORITY]}032`;
export const TYPE_CODE_B = `${CODES[AUTHORITY]}011`;

const HOLDER_KEY = Buffer.alloc(32, 7);
export const HOLDER_1 = holderRef(HOLDER_KEY, '111', '11010519491231002X');
export const HOLDER_2 = holderRef(HOLDER_KEY, '001', CODES[AGENCY_B]);

export const str = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

export function digest(text: string): string {
  return digestOf(text);
}

export function identifier(serial: string, issuer: keyof typeof CODES = AGENCY_A, typeCode = TYPE_CODE, version = 1): string {
  return makeLicenseIdentifier({ typeCode, issuerCode: CODES[issuer], serial, version });
}

export interface Consortium {
  readonly net: TestNetwork;
  readonly admin: TestClient;
  readonly issuerA: TestClient;
  readonly issuerB: TestClient;
  readonly portal: TestClient;
  readonly verifier: TestClient;
  readonly auditor: TestClient;
  /** One client per role, for the authorisation matrix. */
  readonly byRole: Readonly<Record<'admin' | 'issuer' | 'verifier' | 'portal' | 'auditor', TestClient>>;
  /** Seal of agency A, active, issuerA authorised. */
  readonly sealA: string;
  /** Seal of agency B, active, issuerB authorised. */
  readonly sealB: string;
}

/** Submits with the given arguments (objects are sent as JSON) and parses the JSON answer. */
export async function call<T = Record<string, unknown>>(client: TestClient, name: string, ...args: unknown[]): Promise<T> {
  const r = await client.submit(name, { arguments: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))) });
  return json<T>(r.result);
}

export async function submitRaw(client: TestClient, name: string, ...args: unknown[]): Promise<SubmitResult> {
  return client.submit(name, { arguments: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))) });
}

export async function query<T = Record<string, unknown>>(client: TestClient, name: string, ...args: unknown[]): Promise<T> {
  const r = await client.evaluate(name, { arguments: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))) });
  return json<T>(r);
}

/** Asserts that a call is refused with `code` (the chaincode's own code, carried through the ledger). */
export async function refused(t: Test, promise: Promise<unknown>, code: string, message?: string): Promise<void> {
  try {
    await promise;
    t.fail(`${message ?? code}: expected a refusal with ${code}, but it succeeded`);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    t.equal(e.code, code, `${message ?? code}${e.code === code ? '' : ` (got ${e.code}: ${e.message})`}`);
  }
}

/**
 * Submits a transaction whose proposal carries `at` as its timestamp (the chaincode's tx time),
 * exactly as a client with that clock would: the embedded ledger, like a Fabric peer, takes the
 * timestamp from the signed proposal.
 */
export async function submitAt<T = Record<string, unknown>>(
  net: TestNetwork,
  client: TestClient,
  at: Date,
  name: string,
  ...args: unknown[]
): Promise<T> {
  const { proposal, bytes } = createProposal({
    channelId: net.ledger.channel.channelId,
    chaincodeName: net.ledger.chaincodeNames[0] as string,
    creator: { mspId: client.credentials.mspId, idBytes: Buffer.from(client.credentials.certificate).toString('utf8') },
    transactionName: name,
    args: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))),
    transient: new Map(),
    now: at,
  });
  const signature = Buffer.from(await newNodeSigner(client.credentials.privateKey)(bytes));
  const endorsed = await net.ledger.endorse({ bytes, signature, transient: new Map() });
  const status = await net.ledger.order(endorsed);
  if (status.code !== 0) throw new CommitError(status.code, proposal.txId);
  return json<T>(endorsed.payload);
}

/** A query evaluated at `at`. */
export async function queryAt<T = unknown>(net: TestNetwork, client: TestClient, at: Date, name: string, ...args: string[]): Promise<T> {
  const { bytes } = createProposal({
    channelId: net.ledger.channel.channelId,
    chaincodeName: net.ledger.chaincodeNames[0] as string,
    creator: { mspId: client.credentials.mspId, idBytes: Buffer.from(client.credentials.certificate).toString('utf8') },
    transactionName: name,
    args,
    transient: new Map(),
    now: at,
  });
  const signature = Buffer.from(await newNodeSigner(client.credentials.privateKey)(bytes));
  return json<T>(await net.ledger.evaluate({ bytes, signature, transient: new Map() }));
}

export const ORG_ROLES: Record<string, string[]> = {
  [AGENCY_A]: ['issuer'],
  [AGENCY_B]: ['issuer'],
  [PORTAL]: ['portal'],
  [VERIFIER]: ['verifier'],
  [AUDIT]: ['auditor'],
};

const YEAR_MS = 365 * 86_400_000;

/**
 * Starts a network and sets up the consortium: bootstrap, organisations, two license types (A and
 * B authorised for TYPE_CODE, only A for TYPE_CODE_B), a seal per agency approved and its issuer
 * identity authorised.
 */
export async function consortium(t: Test, options: { blockCutter?: { maxTransactions?: number; timeoutMs?: number } } = {}): Promise<Consortium> {
  const net = await startTestNetwork({
    organisations: [AUTHORITY, AGENCY_A, AGENCY_B, PORTAL, VERIFIER, AUDIT, STRANGER].map((mspId) => ({ mspId })),
    ...(options.blockCutter ? { blockCutter: options.blockCutter } : {}),
  });
  t.teardown(() => net.close());
  const admin = await net.client(AUTHORITY, { name: 'root', role: 'admin' });
  await call(admin, 'registry:Bootstrap');
  await call(admin, 'registry:UpdateOrganisation', {
    msp: AUTHORITY,
    name: 'Data Authority',
    code: CODES[AUTHORITY],
    roles: ['admin'],
    areaCode: '310000',
  });
  for (const [msp, roles] of Object.entries(ORG_ROLES)) {
    await call(admin, 'registry:RegisterOrganisation', {
      msp,
      name: msp.replace(/MSP$/, ''),
      code: CODES[msp as keyof typeof CODES],
      roles,
      endpoint: `https://${msp.toLowerCase()}.example:7001`,
    });
  }
  const fieldsSchemaDigest = digest('{"type":"object"}');
  await call(admin, 'registry:RegisterLicenseType', {
    typeCode: TYPE_CODE,
    name: 'Business licence',
    definerCode: CODES[AUTHORITY],
    holderCodeTypes: ['001', '111'],
    issuers: [AGENCY_A, AGENCY_B],
    fieldsSchemaDigest,
  });
  await call(admin, 'registry:RegisterLicenseType', {
    typeCode: TYPE_CODE_B,
    name: 'Food licence',
    definerCode: CODES[AUTHORITY],
    holderCodeTypes: ['001'],
    issuers: [AGENCY_A],
    fieldsSchemaDigest,
  });
  const issuerA = await net.client(AGENCY_A, { name: 'agency-a-gateway', role: 'issuer' });
  const issuerB = await net.client(AGENCY_B, { name: 'agency-b-gateway', role: 'issuer' });
  const portal = await net.client(PORTAL, { name: 'portal-gateway', role: 'portal' });
  const verifier = await net.client(VERIFIER, { name: 'verifier', role: 'verifier' });
  const auditor = await net.client(AUDIT, { name: 'auditor', role: 'auditor' });
  const now = Date.now();
  const sealA = 'seal-a-1';
  const sealB = 'seal-b-1';
  for (const [client, sealId] of [[issuerA, sealA], [issuerB, sealB]] as const) {
    await call(client, 'seal:Apply', sealInput(sealId, now));
    await call(admin, 'seal:Approve', sealId);
    await call(client, 'seal:Authorize', {
      sealId,
      subject: net.identityId(client),
      notBefore: new Date(now - YEAR_MS).toISOString(),
      notAfter: new Date(now + YEAR_MS).toISOString(),
    });
  }
  return {
    net,
    admin,
    issuerA,
    issuerB,
    portal,
    verifier,
    auditor,
    byRole: { admin, issuer: issuerA, verifier, portal, auditor },
    sealA,
    sealB,
  };
}

export function sealInput(sealId: string, now = Date.now()): Record<string, unknown> {
  return {
    sealId,
    name: `${sealId} 业务专用章`,
    kind: '业务专用章',
    format: 'GBT38540',
    certFingerprints: [digest(`${sealId}-cert`)],
    sealDigest: digest(`${sealId}-seal`),
    validStart: new Date(now - YEAR_MS).toISOString(),
    validEnd: new Date(now + 2 * YEAR_MS).toISOString(),
  };
}

export function licenseInput(serial: string, overrides: Record<string, unknown> = {}, issuer: keyof typeof CODES = AGENCY_A): Record<string, unknown> {
  return {
    identifier: identifier(serial, issuer),
    typeCode: TYPE_CODE,
    holderRef: HOLDER_1,
    holderCodeType: '111',
    numberDigest: digest(`number-${serial}`),
    docDigest: digest(`doc-${serial}`),
    sealId: issuer === AGENCY_B ? 'seal-b-1' : 'seal-a-1',
    validFrom: '2025-01-01',
    validUntil: '2030-12-31',
    ...overrides,
  };
}

export function materialInput(materialId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    materialId,
    ownerRef: HOLDER_1,
    kind: 'id-card-copy',
    digest: digest(`bytes-${materialId}`),
    size: 1024,
    mediaType: 'application/pdf',
    ...overrides,
  };
}

export function grantInput(materialId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    materialId,
    ownerRef: HOLDER_1,
    grantee: VERIFIER,
    purpose: '办理营业执照变更',
    caseNo: 'CASE-2025-0001',
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    maxUses: 2,
    ...overrides,
  };
}
