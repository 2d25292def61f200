/**
 * The ledger-level conformance suite: what gateway and verifier rely on from `ledger/client.ts`,
 * run against every implementation with the real LicenseChain chaincode and the demo consortium —
 * the embedded ledger always (`embedded-conformance.test.ts`), Fabric when a network is up
 * (`fabric-conformance.test.ts`). Each check is one that a wrong adapter would fail: codes of
 * refusals, commit positions, MVCC retries, events in order, checkpoint resume, unavailability.
 */
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaincodeEvent, Gateway, Ledger } from '../../ledger/client';
import { EndorseError, LedgerUnavailableError, ValidationCode } from '../../ledger/errors';
import { FileCheckpointer } from '../../ledger/file-checkpointer';

/** A ledger with the demo registry on it, and connections as demo principals. */
export interface LedgerUnderTest {
  readonly name: string;
  readonly ledger: Ledger;
  /** A connection as a demo principal (admin, issuerA, …). */
  gateway(principal: 'admin' | 'issuerA' | 'verifier'): Gateway;
  /** A connection, as the verifier, to a ledger that cannot be reached (closed, or nothing listening). */
  unreachable(): Promise<Gateway>;
}

/** An organisation record as `registry:GetOrganisation` answers it. */
interface OrganisationRecord {
  mspId: string;
  name: string;
  code: string;
  roles: string[];
  endpoint: string | null;
  areaCode: string | null;
  version: number;
}

const ORG = 'AuditMSP';
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

function updateOf(org: OrganisationRecord): string {
  return JSON.stringify({ msp: org.mspId, name: org.name, code: org.code, roles: org.roles, ...(org.areaCode ? { areaCode: org.areaCode } : {}) });
}

async function read(gateway: Gateway, mspId = ORG): Promise<OrganisationRecord> {
  return JSON.parse(text(await gateway.getContract().evaluate('registry:GetOrganisation', { arguments: [mspId] }))) as OrganisationRecord;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Reads `count` events from a fresh subscription, then closes it. */
async function take(gateway: Gateway, count: number, options: Parameters<Gateway['getChaincodeEvents']>[0]): Promise<ChaincodeEvent[]> {
  const events = await gateway.getChaincodeEvents(options);
  const seen: ChaincodeEvent[] = [];
  try {
    for await (const event of events) {
      seen.push(event);
      if (seen.length === count) break;
    }
  } finally {
    events.close();
  }
  return seen;
}

/** Runs the suite; `t` ends when every check has run. The ledger is left open. */
export async function ledgerConformance(t: Test, subject: LedgerUnderTest): Promise<void> {
  const admin = subject.gateway('admin');
  const issuer = subject.gateway('issuerA');

  await t.test(`${subject.name}: evaluate reads committed state; refusals keep the chaincode's code`, async (t) => {
    const org = await read(admin);
    t.equal(org.mspId, ORG);
    t.ok(org.version >= 1);
    const missing = await rejection(read(admin, 'NoSuchMSP'));
    t.ok(missing instanceof EndorseError, 'a refusal is an EndorseError');
    t.equal((missing as EndorseError).code, 'NOT_FOUND');
    const forbidden = await rejection(issuer.getContract().submit('registry:UpdateOrganisation', { arguments: [updateOf(org)] }));
    t.ok(forbidden instanceof EndorseError);
    t.equal((forbidden as EndorseError).code, 'FORBIDDEN', 'an issuer may not change the registry');
    t.equal((await read(admin)).version, org.version, 'and nothing was written');
  });

  await t.test(`${subject.name}: a submit answers after commit, with its transaction and block`, async (t) => {
    const before = await read(admin);
    const submitted = await admin.getContract().submit('registry:UpdateOrganisation', { arguments: [updateOf(before)] });
    t.equal(submitted.code, ValidationCode.VALID);
    t.match(submitted.transactionId, /^[0-9a-f]{64}$/);
    t.equal((JSON.parse(text(submitted.result)) as OrganisationRecord).version, before.version + 1, 'the chaincode answer comes back');
    t.equal((await read(admin)).version, before.version + 1, 'visible to the next evaluate');
    const info = await subject.ledger.info();
    t.ok(info.height > submitted.blockNumber, 'the block is below the height');
    t.match(info.currentBlockHash, /^[0-9a-f]{64}$/);
    const tx = (await subject.ledger.getTransaction(submitted.transactionId)) as Record<string, unknown> | undefined;
    t.ok(tx, 'the transaction can be looked up');
    t.match(JSON.stringify(tx), /VALID/, 'with its validation code');
    const block = await subject.ledger.getBlock(submitted.blockNumber);
    t.match(JSON.stringify(block), submitted.transactionId, 'its block contains it');
    t.equal(await subject.ledger.getTransaction('0'.repeat(64)), undefined, 'an unknown transaction is undefined');
  });

  await t.test(`${subject.name}: concurrent read-modify-writes all land (MVCC conflicts retried); events in order; checkpoint resume`, async (t) => {
    const start = await read(admin);
    const { height } = await subject.ledger.info();
    const writers = 6;
    const results = await Promise.all(
      Array.from({ length: writers }, async () => {
        // Each writer re-reads in the chaincode: conflicting versions are MVCC_READ_CONFLICT, retried by the client.
        return admin.getContract().submit('registry:UpdateOrganisation', { arguments: [updateOf(start)] });
      }),
    );
    t.equal(results.length, writers);
    t.equal((await read(admin)).version, start.version + writers, 'every update landed exactly once');

    const all = (await take(admin, writers, { startBlock: height })).filter((e) => e.eventName === 'OrganisationUpdated');
    t.equal(all.length, writers, 'one event per valid transaction');
    const versions = all.map((e) => (JSON.parse(text(e.payload)) as { version: number }).version);
    t.same(versions, Array.from({ length: writers }, (_, n) => start.version + n + 1), 'in commit order');
    t.same(new Set(all.map((e) => e.transactionId)), new Set(results.map((r) => r.transactionId)), 'the events are those transactions');
    for (let n = 1; n < all.length; n++) t.ok((all[n] as ChaincodeEvent).blockNumber >= (all[n - 1] as ChaincodeEvent).blockNumber);

    const dir = mkdtempSync(join(tmpdir(), 'lc-checkpoint-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'checkpoint.json');
    const first = new FileCheckpointer(path);
    // `startBlock` applies when the checkpoint is still empty.
    const events = await admin.getChaincodeEvents({ startBlock: height, checkpoint: first });
    let seen = 0;
    for await (const event of events) {
      if (event.eventName !== 'OrganisationUpdated') continue;
      await first.checkpointTransaction(event.blockNumber, event.transactionId);
      if (++seen === 3) break;
    }
    events.close();
    const resumed = new FileCheckpointer(path);
    t.equal(resumed.transactionId, (all[2] as ChaincodeEvent).transactionId, 'the checkpoint survives on disk');
    const rest = (await take(admin, writers - 3, { checkpoint: resumed })).filter((e) => e.eventName === 'OrganisationUpdated');
    t.same(
      rest.map((e) => e.transactionId),
      all.slice(3).map((e) => e.transactionId),
      'resuming from the checkpoint delivers exactly the events after it',
    );
  });

  await t.test(`${subject.name}: a ledger that cannot be reached is unavailable, not a refusal`, async (t) => {
    const gateway = await subject.unreachable();
    t.teardown(() => gateway.close());
    const error = await rejection(gateway.getContract().evaluate('registry:GetOrganisation', { arguments: [ORG] }));
    t.ok(error instanceof LedgerUnavailableError, `LedgerUnavailableError (got ${(error as Error).name}: ${(error as Error).message})`);
  });
}
