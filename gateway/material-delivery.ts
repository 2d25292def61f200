/**
 * Custodian delivery (README flow 7): the organisation that keeps a material hands its bytes to
 * the organisation named on a receipt — once. The receipt was written by the grantee's own
 * `consent:UseMaterial`; here the custodian checks it, records the delivery on the ledger
 * (`consent:RecordDelivery` refuses a second one) and streams the bytes, checking them against the
 * ledger digest as they flow.
 *
 * Stored bytes that no longer match are never served silently: files up to
 * `PREVERIFY_MAX_BYTES` are hashed in full before the delivery is recorded (a clean
 * `INTEGRITY_FAILED`, and the receipt is not used up); larger ones are checked while streaming
 * and the stream fails before its last chunk. Either way the mismatch is logged and counted
 * (`lc_material_integrity_failures_total`).
 *
 * The caller must already be authenticated as the grantee organisation: in-process (embedded
 * mode) the verifier passes its principal; over HTTP the route
 * `GET /v1/materials/:materialId/content` takes a bearer token of this gateway or a request
 * signed with another organisation's X.509 identity (service/signed-request-verifier.ts). Such a
 * caller has no ledger identity here, so the receipt is read as the custodian's own.
 */
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createDigester } from '../domain/digest';
import { evaluate, submit } from '../service/ledger-calls';
import type { Principal } from '../service/principal';
import { ProblemError } from '../service/problem';
import type { SignedCaller } from '../service/signed-request-verifier';
import { IntegrityError, createDigestCheckStream } from './digest-check-stream';

/** Files up to this size are verified in full before the delivery is recorded. */
export const PREVERIFY_MAX_BYTES = 64 * 1024 * 1024;

/** What the custodian hands over. */
export interface MaterialDelivery {
  /** The bytes; fails with `IntegrityError` (before the end) when they do not match the ledger. */
  readonly stream: Readable;
  readonly size: number;
  /** The ledger's digest of the bytes (`sm3:<hex>`). */
  readonly digest: string;
  readonly mediaType: string;
  readonly materialId: string;
  readonly receiptId: string;
  /** The `consent:RecordDelivery` transaction. */
  readonly deliveryTxId: string;
  readonly blockNumber: number;
}

export interface DeliveryOptions {
  /** Override of {@link PREVERIFY_MAX_BYTES} (0: verify only while streaming). */
  readonly preverifyMaxBytes?: number;
}

interface ReceiptView {
  receiptId: string;
  materialId: string;
  granteeMsp: string;
  custodianMsp: string;
  digest: string;
  delivered: boolean;
  deliveredAt: string | null;
}

interface MaterialView {
  materialId: string;
  digest: string;
  size: number;
  mediaType: string;
  status: string;
}

const INTEGRITY_METRIC = 'lc_material_integrity_failures_total';

function integrityCounter(app: FastifyInstance): Counter | undefined {
  const registry = app.metrics?.registry;
  if (!registry) return undefined;
  const existing = registry.getSingleMetric(INTEGRITY_METRIC);
  if (existing) return existing as Counter;
  return new Counter({ name: INTEGRITY_METRIC, help: 'Material deliveries refused because stored bytes differ from the ledger', registers: [registry] });
}

function reportIntegrity(app: FastifyInstance, context: Record<string, unknown>, detail: string): ProblemError {
  app.log.error({ ...context, code: 'INTEGRITY_FAILED' }, `material delivery refused: ${detail}`);
  integrityCounter(app)?.inc();
  return new ProblemError('INTEGRITY_FAILED', 'the stored material does not match the ledger; it was not delivered (the custodian has been alerted)');
}

/** Who asks for a delivery: a principal of this gateway, or another organisation that signed its request. */
export type DeliveryRequester = Principal | SignedCaller;

/** Roles that may use a material (`consent:UseMaterial`), hence receive one. */
const RECEIVER_ROLES: ReadonlySet<string | undefined> = new Set(['verifier', 'issuer']);

function isPrincipal(requester: DeliveryRequester): requester is Principal {
  return 'contract' in requester;
}

const isCustodian = (p: Principal): boolean => p.role === 'portal' || p.role === 'issuer';

/** The identity this gateway holds for `mspId` as a custodian (its portal or issuer), if any. */
export function custodianPrincipal(app: FastifyInstance, mspId: string): Principal | undefined {
  return app.lc.options.principals.principals.find((p) => p.mspId === mspId && isCustodian(p));
}

/**
 * Reads a receipt as one of this gateway's custodian identities; the chaincode lets a custodian
 * read the receipts of what its organisation keeps (`consent:GetReceipt`), and refuses the others.
 */
async function receiptAsCustodian(app: FastifyInstance, receiptId: string): Promise<ReceiptView> {
  for (const custodian of app.lc.options.principals.principals.filter(isCustodian)) {
    try {
      return await evaluate<ReceiptView>(custodian, 'consent:GetReceipt', receiptId);
    } catch (error) {
      if ((error as { code?: string }).code !== 'FORBIDDEN') throw error;
    }
  }
  throw new ProblemError('NOT_FOUND', `receipt ${receiptId} does not concern a material this gateway keeps`);
}

async function hashStored(stream: Readable): Promise<string> {
  const digester = createDigester('sm3');
  for await (const chunk of stream) digester.update(chunk as Buffer);
  return digester.digest();
}

/**
 * Opens the one delivery of material `materialId` that receipt `receiptId` allows, to `grantee`
 * (the organisation named on the receipt: its principal here, or its signed request).
 *
 * @throws ProblemError `FORBIDDEN` (the caller is not the receipt's grantee, or its role may not
 * receive materials), `GRANT_INVALID`
 * (the receipt is for another material, or the grant was revoked / the material withdrawn),
 * `CONFLICT` (already delivered), `NOT_FOUND` (no such receipt, or this gateway does not keep the
 * material), `INTEGRITY_FAILED` (stored bytes missing or altered); ledger errors as problems.
 * @example
 * const d = await openMaterialDelivery(gateway, verifierPrincipal, materialId, receiptId);
 * await pipeline(d.stream, destination);
 */
export async function openMaterialDelivery(
  app: FastifyInstance,
  grantee: DeliveryRequester,
  materialId: string,
  receiptId: string,
  options: DeliveryOptions = {},
): Promise<MaterialDelivery> {
  if (!RECEIVER_ROLES.has(grantee.role)) throw new ProblemError('FORBIDDEN', `role ${grantee.role ?? '(none)'} may not receive materials`);
  const receipt = isPrincipal(grantee)
    ? await evaluate<ReceiptView>(grantee, 'consent:GetReceipt', receiptId)
    : await receiptAsCustodian(app, receiptId);
  if (receipt.granteeMsp !== grantee.mspId) throw new ProblemError('FORBIDDEN', `receipt ${receiptId} names another organisation`);
  if (receipt.materialId !== materialId) throw new ProblemError('GRANT_INVALID', `receipt ${receiptId} is not for material ${materialId}`);
  if (receipt.delivered) throw new ProblemError('CONFLICT', `receipt ${receiptId} was delivered at ${receipt.deliveredAt ?? '?'}`);
  const custodian = custodianPrincipal(app, receipt.custodianMsp);
  if (!custodian) throw new ProblemError('NOT_FOUND', `material ${materialId} is kept by ${receipt.custodianMsp}; ask its gateway`);

  const material = await evaluate<MaterialView>(custodian, 'material:GetMaterial', materialId);
  const { digest, size, mediaType } = material;
  const context = { materialId, receiptId, digest };
  if (receipt.digest !== digest) throw reportIntegrity(app, context, `receipt digest ${receipt.digest} differs from the material's`);
  const store = app.lc.materials;
  const storedSize = await store.size(digest);
  if (storedSize === undefined) throw reportIntegrity(app, context, 'the stored bytes are missing');
  if (storedSize !== size) throw reportIntegrity(app, { ...context, storedSize, size }, 'the stored size differs from the ledger');
  if (size <= (options.preverifyMaxBytes ?? PREVERIFY_MAX_BYTES)) {
    const actual = await hashStored(store.open(digest));
    if (actual !== digest) throw reportIntegrity(app, { ...context, actual }, 'the stored bytes hash differently');
  }

  const recorded = await submit<unknown>(app, custodian, 'consent:RecordDelivery', receiptId);
  const check = createDigestCheckStream(digest, size);
  pipeline(store.open(digest), check, (error) => {
    if (error instanceof IntegrityError) reportIntegrity(app, { ...context, actual: error.actual }, 'the stored bytes changed while streaming');
    else if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') app.log.error({ ...context, err: error }, 'material delivery stream failed');
  });
  return { stream: check, size, digest, mediaType, materialId, receiptId, deliveryTxId: recorded.txId, blockNumber: recorded.blockNumber };
}
