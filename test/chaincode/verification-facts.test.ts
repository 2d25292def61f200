/**
 * `license:GetVerificationFacts` — one read for a verification — answers exactly what the reads it
 * replaces answer (GetLicense, GetLicenseType, GetOrganisation, GetSeal, CheckSeal, GetBatchHeader)
 * for every role, reads status and flags afresh, and judges the seal at the instant asked.
 * `license:GetBatchHeader` is GetBatch's header without the chunks.
 */
import t from 'tap';
import { MerkleTree } from '../../domain/merkle';
import { AGENCY_A, AGENCY_B, HOLDER_1, call, consortium, identifier, licenseInput, query, refused, type Consortium } from './support';

type Facts = {
  license: Record<string, unknown> & { status: string; flags: string[]; issuedAt: string; sealId: string; typeCode: string; issuerMsp: string };
  licenseType: unknown;
  issuer: unknown;
  seal: unknown;
  sealState: { at: string; active: boolean; status: string | null };
  batch: unknown;
};

async function issueBatch(c: Consortium, serials: string[], batchId: string): Promise<string[]> {
  const items = serials.map((s) => licenseInput(s));
  const tree = new MerkleTree(items.map((i) => i.docDigest as string));
  const licenses = items.map((item, i) => {
    const { sealId: _seal, ...rest } = item;
    return { ...rest, proof: tree.proof(i) };
  });
  await call(c.issuerA, 'license:IssueBatch', { batchId, root: tree.root, size: tree.size, sealId: c.sealA, licenses });
  return items.map((i) => i.identifier as string);
}

t.test('a single-sealed license: the same answers as the separate reads, for every role', async (t) => {
  const c = await consortium(t);
  const input = licenseInput('3100001');
  await call(c.issuerA, 'license:Issue', input);
  const id = input.identifier as string;
  for (const [role, client] of Object.entries({ admin: c.admin, issuerA: c.issuerA, issuerB: c.issuerB, portal: c.portal, verifier: c.verifier, auditor: c.auditor })) {
    const facts = await query<Facts>(client, 'license:GetVerificationFacts', id, '');
    const license = await query<Facts['license']>(client, 'license:GetLicense', id);
    t.same(facts.license, license, `${role}: the license as GetLicense answers it (holderRef redaction included)`);
    t.same(facts.licenseType, await query(client, 'registry:GetLicenseType', license.typeCode), `${role}: the type`);
    t.same(facts.issuer, await query(client, 'registry:GetOrganisation', license.issuerMsp), `${role}: the issuer`);
    t.same(facts.seal, await query(client, 'seal:GetSeal', license.sealId), `${role}: the seal`);
    t.same(facts.sealState, await query(client, 'seal:CheckSeal', license.sealId, '', license.issuedAt), `${role}: the seal state when the license was recorded`);
    t.equal(facts.batch, null, `${role}: no batch`);
  }
  const asVerifier = await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, '');
  t.equal(asVerifier.license.holderRef, null, 'a verifier sees no holder reference');
  t.equal((await query<Facts>(c.portal, 'license:GetVerificationFacts', id, '')).license.holderRef, HOLDER_1, 'the portal does');
});

t.test('status, dispute flags and seal state are read afresh, the seal judged at the instant asked', async (t) => {
  const c = await consortium(t);
  const input = licenseInput('3100002');
  await call(c.issuerA, 'license:Issue', input);
  const id = input.identifier as string;
  const before = await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, '');
  t.match(before, { license: { status: '01', flags: [] }, sealState: { active: true, status: 'ACTIVE' } });

  await call(c.issuerA, 'license:ChangeStatus', { identifier: id, action: 'suspend', reason: 'inspection' });
  const { disputeId } = await call<{ disputeId: string }>(c.portal, 'dispute:Raise', { subject: { kind: 'license', id }, reason: 'wrong address', holderRef: HOLDER_1 });
  await call(c.admin, 'dispute:Accept', { disputeId });
  const after = await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, '');
  t.equal(after.license.status, '02', 'the suspension at once');
  t.same(after.license.flags, [disputeId], 'the dispute flag at once');

  const signedAt = before.license.issuedAt;
  await call(c.issuerA, 'seal:ChangeStatus', { sealId: c.sealA, action: 'suspend', reason: 'audit' });
  const now = new Date(Date.now() + 1000).toISOString();
  const atNow = await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, now);
  t.same(atNow.sealState, await query(c.verifier, 'seal:CheckSeal', c.sealA, '', now), 'judged at the instant asked: as CheckSeal');
  t.match(atNow.sealState, { active: false, status: 'SUSPENDED' });
  const atSigning = await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, signedAt);
  t.match(atSigning.sealState, { at: signedAt, active: true, status: 'ACTIVE' }, 'an earlier signing time: active then');
  t.same((await query<Facts>(c.verifier, 'license:GetVerificationFacts', id, '')).sealState, atSigning.sealState, 'empty: when the license was recorded');

  await refused(t, query(c.verifier, 'license:GetVerificationFacts', identifier('3199999'), ''), 'NOT_FOUND');
  await refused(t, query(c.verifier, 'license:GetVerificationFacts', '1.2.156.3003.2.x', ''), 'INVALID_IDENTIFIER');
  await refused(t, query(c.verifier, 'license:GetVerificationFacts', id, '2025-02-30T00:00:00Z'), 'VALIDATION_FAILED', 'an impossible instant');
  await refused(t, query(c.verifier, 'license:GetVerificationFacts', id, 'yesterday'), 'VALIDATION_FAILED');
});

t.test('a batch-sealed license: the header without chunk lists, where GetBatchHeader allows it', async (t) => {
  const c = await consortium(t);
  const [first] = await issueBatch(c, ['3200001', '3200002', '3200003'], 'facts-batch');
  const full = await query<Record<string, unknown>>(c.admin, 'license:GetBatch', AGENCY_A, 'facts-batch');
  const { recorded: _r, complete: _c, chunks, ...header } = full;
  t.ok(Array.isArray(chunks), 'GetBatch lists the chunks');
  t.same(await query(c.verifier, 'license:GetBatchHeader', AGENCY_A, 'facts-batch'), header, 'GetBatchHeader: the header alone');
  for (const [role, client] of Object.entries({ admin: c.admin, issuerA: c.issuerA, verifier: c.verifier, auditor: c.auditor })) {
    const facts = await query<Facts>(client, 'license:GetVerificationFacts', first as string, '');
    t.same(facts.batch, header, `${role}: the batch header`);
  }
  for (const [role, client] of Object.entries({ portal: c.portal, issuerB: c.issuerB })) {
    const facts = await query<Facts>(client, 'license:GetVerificationFacts', first as string, '');
    t.equal(facts.batch, 'forbidden', `${role}: may not read the batch, says so`);
    t.equal(facts.license.identifier, first, `${role}: the license all the same`);
    await refused(t, query(client, 'license:GetBatchHeader', AGENCY_A, 'facts-batch'), 'FORBIDDEN', `${role}: GetBatchHeader refused too`);
  }
  await refused(t, query(c.verifier, 'license:GetBatchHeader', AGENCY_A, 'no-such-batch'), 'NOT_FOUND');
  await refused(t, query(c.verifier, 'license:GetBatchHeader', AGENCY_B, 'facts-batch'), 'NOT_FOUND', 'batches are per issuer');
});
