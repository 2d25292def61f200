/**
 * No hot keys: concurrent issuance, registration and reuse by different callers commit without a
 * single MVCC/phantom invalidation; two reuses racing for the last use of a grant: exactly one wins.
 */
import t from 'tap';
import { newNodeSigner } from '../../certs/signer';
import { ValidationCode } from '../../ledger/errors';
import type { TestNetwork } from '../support/network';
import { AGENCY_B, HOLDER_1, call, consortium, grantInput, licenseInput, materialInput, query } from './support';

/** Validation codes of every endorser transaction committed after block `from`. */
async function codesSince(net: TestNetwork, from: number): Promise<number[]> {
  const codes: number[] = [];
  for (let b = from; b < net.ledger.height; b++) {
    const block = (await net.ledger.getBlock(b)) as { transactions: Array<{ type: string; validationCode: number }> };
    for (const tx of block.transactions) if (tx.type === 'endorser') codes.push(tx.validationCode);
  }
  return codes;
}

t.test('100 issuances of one type in flight at once all commit, without a conflict', async (t) => {
  const c = await consortium(t, { blockCutter: { maxTransactions: 50, timeoutMs: 20 } });
  const from = c.net.ledger.height;
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => {
      const byB = i % 2 === 1;
      const input = licenseInput(String(1_000_000 + i), {}, byB ? AGENCY_B : undefined);
      return (byB ? c.issuerB : c.issuerA).submit('license:Issue', { arguments: [JSON.stringify(input)] });
    }),
  );
  t.equal(results.length, 100);
  t.ok(results.every((r) => r.code === ValidationCode.VALID));
  const codes = await codesSince(c.net, from);
  t.equal(codes.length, 100, 'one transaction each: no retry was needed');
  t.ok(codes.every((code) => code === ValidationCode.VALID), 'no MVCC or phantom conflict');
  t.ok(new Set(results.map((r) => r.blockNumber)).size < 100, 'they shared blocks');
  const listed = await query<unknown[]>(c.auditor, 'license:ListLicensesByIssuer', 'AgencyAMSP', '');
  t.equal(listed.length, 50);
});

t.test('registrations and reuses of different grants in flight at once: no conflict', async (t) => {
  const c = await consortium(t, { blockCutter: { maxTransactions: 100, timeoutMs: 20 } });
  const ids = Array.from({ length: 30 }, (_, i) => `m-${i}`);
  for (const id of ids) await call(c.portal, 'material:RegisterMaterial', materialInput(id));
  const grants: string[] = [];
  for (const id of ids) grants.push((await call<{ grantId: string }>(c.portal, 'consent:CreateGrant', grantInput(id))).grantId);
  const from = c.net.ledger.height;
  const verifier2 = await c.net.client('VerifierMSP', { role: 'verifier' });
  await Promise.all([
    ...ids.map((id, i) =>
      (i % 2 ? c.verifier : verifier2).submit('consent:UseMaterial', {
        arguments: [JSON.stringify({ grantId: grants[i], materialId: id, purpose: '办理营业执照变更' })],
      }),
    ),
    ...Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? c.portal : c.issuerA).submit('material:RegisterMaterial', {
        arguments: [JSON.stringify(materialInput(`new-${i}`, { ownerRef: HOLDER_1 }))],
      }),
    ),
  ]);
  const codes = await codesSince(c.net, from);
  t.equal(codes.length, 60);
  t.ok(codes.every((code) => code === ValidationCode.VALID), 'no conflict');
});

t.test('two reuses racing for the last use of a grant: exactly one wins', async (t) => {
  const c = await consortium(t, { blockCutter: { maxTransactions: 10, timeoutMs: 50 } });
  const rounds = 6;
  const verifier2 = await c.net.client('VerifierMSP', { role: 'verifier' });
  // One contender retries after a conflict (as the gateway does by default), the other never does,
  // so both ways of losing show up: a CommitError (MVCC_READ_CONFLICT) or GRANT_EXHAUSTED.
  const noRetry = c.net.ledger
    .connect({
      identity: { mspId: 'VerifierMSP', credentials: Buffer.from(verifier2.credentials.certificate) },
      signer: newNodeSigner(verifier2.credentials.privateKey),
      conflictRetries: 0,
    })
    .getContract();
  const losers: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const id = `race-${round}`;
    await call(c.portal, 'material:RegisterMaterial', materialInput(id));
    const grant = await call<{ grantId: string }>(c.portal, 'consent:CreateGrant', grantInput(id, { maxUses: 2 }));
    const use = JSON.stringify({ grantId: grant.grantId, materialId: id, purpose: '办理营业执照变更' });
    await c.verifier.submit('consent:UseMaterial', { arguments: [use] }); // one use left
    const outcomes = await Promise.allSettled([
      c.verifier.submit('consent:UseMaterial', { arguments: [use] }),
      noRetry.submit('consent:UseMaterial', { arguments: [use] }),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    t.equal(won.length, 1, `round ${round}: exactly one wins`);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        const e = o.reason as { code: string; name: string; validationCode?: number };
        t.ok(
          e.code === 'GRANT_EXHAUSTED' || (e.name === 'CommitError' && e.validationCode === ValidationCode.MVCC_READ_CONFLICT),
          `round ${round}: the loser gets ${e.name}/${e.code}`,
        );
        losers.push(e.code);
      }
    }
    const after = await query<{ uses: number; maxUses: number }>(c.portal, 'consent:GetGrant', grant.grantId);
    t.equal(after.uses, 2, 'never more uses than allowed');
    t.equal((await query<unknown[]>(c.portal, 'consent:ListReceiptsByMaterial', id)).length, 2, 'one receipt per use');
  }
  t.comment(`losers: ${losers.join(', ')}`);
});
