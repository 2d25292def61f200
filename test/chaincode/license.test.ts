import t from 'tap';
import { MerkleTree } from '../../domain/merkle';
import { STATUS_ACTIONS, canTransition, LICENSE_STATUSES } from '../../domain/license-status';
import { nextVersionIdentifier } from '../../domain/license-identifier';
import {
  AGENCY_A,
  AGENCY_B,
  HOLDER_1,
  HOLDER_2,
  TYPE_CODE,
  TYPE_CODE_B,
  call,
  consortium,
  digest,
  identifier,
  licenseInput,
  query,
  refused,
} from './support';

type License = Record<string, unknown> & { identifier: string; status: string; flags: string[] };

t.test('issue, read, redaction, history, event', async (t) => {
  const c = await consortium(t);
  const events = await c.verifier.gateway.getChaincodeEvents();
  const issued = await c.issuerA.submit('license:Issue', { arguments: [JSON.stringify(licenseInput('2430599'))] });
  const record = JSON.parse(Buffer.from(issued.result).toString()) as License;
  t.match(record, {
    docType: 'license',
    identifier: identifier('2430599'),
    typeCode: TYPE_CODE,
    issuerMsp: AGENCY_A,
    holderRef: HOLDER_1,
    version: 1,
    previousIdentifier: null,
    nextIdentifier: null,
    superseded: false,
    status: '01',
    sealId: c.sealA,
    origin: 'issue',
    lastChange: { txId: issued.transactionId, actorMsp: AGENCY_A, operation: 'issue' },
  });
  for await (const event of events) {
    t.equal(event.eventName, 'LicenseIssued');
    t.same(JSON.parse(Buffer.from(event.payload).toString()), { identifier: record.identifier, issuerMsp: AGENCY_A, typeCode: TYPE_CODE });
    break;
  }
  events.close();

  const asVerifier = await query<License>(c.verifier, 'license:GetLicense', record.identifier);
  t.equal(asVerifier.holderRef, null, 'a verifier does not see the holder reference');
  t.same(asVerifier.flags, []);
  t.equal((await query<License>(c.auditor, 'license:GetLicense', record.identifier)).holderRef, null, 'nor an auditor');
  t.equal((await query<License>(c.issuerB, 'license:GetLicense', record.identifier)).holderRef, null, 'nor another issuer');
  t.equal((await query<License>(c.portal, 'license:GetLicense', record.identifier)).holderRef, HOLDER_1, 'the portal does');
  t.equal((await query<License>(c.issuerA, 'license:GetLicense', record.identifier)).holderRef, HOLDER_1, 'the issuer does');

  await call(c.issuerA, 'license:ChangeStatus', { identifier: record.identifier, action: 'suspend', reason: 'inspection' });
  const history = await query<Array<Record<string, unknown>>>(c.admin, 'license:GetLicenseHistory', record.identifier);
  t.match(history, [
    { operation: 'suspend', status: '02', reason: 'inspection', actorMsp: AGENCY_A },
    { operation: 'issue', status: '01', txId: issued.transactionId },
  ]);
  await refused(t, query(c.issuerB, 'license:GetLicenseHistory', record.identifier), 'FORBIDDEN', 'another issuer reads no history');
  await refused(t, query(c.admin, 'license:GetLicense', identifier('9999999')), 'NOT_FOUND');
  await refused(t, query(c.admin, 'license:GetLicense', '1.2.156.3003.2.x'), 'INVALID_IDENTIFIER');
});

t.test('issuance refusals', async (t) => {
  const c = await consortium(t);
  await refused(t, call(c.issuerB, 'license:Issue', licenseInput('1000001', { typeCode: TYPE_CODE_B, identifier: identifier('1000001', AGENCY_B, TYPE_CODE_B), sealId: c.sealB }, AGENCY_B)), 'TYPE_NOT_AUTHORIZED', 'B is not an issuer of type B');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000002', { identifier: identifier('1000002', AGENCY_B) })), 'INVALID_IDENTIFIER', 'issuer segment is another organisation');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000003', { typeCode: TYPE_CODE_B })), 'INVALID_IDENTIFIER', 'type segment differs from typeCode');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000004', { identifier: identifier('1000004', AGENCY_A, TYPE_CODE, 2) })), 'INVALID_IDENTIFIER', 'issued at version 002');
  const bad = identifier('1000005').replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000005', { identifier: bad })), 'INVALID_IDENTIFIER', 'bad check character');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000006', { typeCode: TYPE_CODE_B, identifier: identifier('1000006', AGENCY_A, TYPE_CODE_B) })), 'INVALID_HOLDER_CODE', 'type B takes only USCC holders');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000007', { sealId: c.sealB })), 'SEAL_NOT_AUTHORIZED', 'another organisation\'s seal');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000008', { sealId: 'no-such-seal' })), 'SEAL_NOT_AUTHORIZED', 'unknown seal');
  const staff = await c.net.client(AGENCY_A, { name: 'unauthorised-staff', role: 'issuer' });
  await refused(t, call(staff, 'license:Issue', licenseInput('1000009')), 'SEAL_NOT_AUTHORIZED', 'identity not authorised for the seal');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000010', { extra: 1 })), 'VALIDATION_FAILED', 'unknown field');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000011', { number: 'A1', numberDigest: digest('A1') })), 'VALIDATION_FAILED', 'number and digest');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000012', { validFrom: '2025-02-30' })), 'VALIDATION_FAILED', 'impossible date');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000013', { validUntil: '2024-01-01' })), 'VALIDATION_FAILED', 'ends before it starts');
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000014', { holderRef: 'hr:xyz' })), 'VALIDATION_FAILED', 'malformed holder reference');
  await refused(t, c.issuerA.submit('license:Issue', { arguments: ['{not json'] }), 'VALIDATION_FAILED', 'not JSON');
  await call(c.issuerA, 'license:Issue', licenseInput('1000015', { validUntil: null, number: '吉A042012000939', numberDigest: undefined }));
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000015')), 'CONFLICT', 'the same identifier twice');
  // seal suspended → no issuance; resumed → issuance again
  await call(c.issuerA, 'seal:ChangeStatus', { sealId: c.sealA, action: 'suspend', reason: 'key rotation' });
  await refused(t, call(c.issuerA, 'license:Issue', licenseInput('1000016')), 'SEAL_NOT_AUTHORIZED', 'suspended seal');
  await call(c.admin, 'seal:ChangeStatus', { sealId: c.sealA, action: 'resume', reason: 'rotated' });
  await call(c.issuerA, 'license:Issue', licenseInput('1000016'));
  // a type retired, an issuer removed from the type
  await call(c.admin, 'registry:UpdateLicenseType', {
    typeCode: TYPE_CODE,
    name: 'Business licence',
    definerCode: TYPE_CODE.slice(0, 18),
    holderCodeTypes: ['001', '111'],
    issuers: [AGENCY_A],
    fieldsSchemaDigest: digest('{"type":"object"}'),
  });
  await refused(t, call(c.issuerB, 'license:Issue', licenseInput('1000017', {}, AGENCY_B)), 'TYPE_NOT_AUTHORIZED', 'issuer removed from the type');
});

t.test('every lifecycle transition against the domain rules', async (t) => {
  const c = await consortium(t);
  const statuses = Object.keys(LICENSE_STATUSES).filter((s) => s !== '99');
  const actions = Object.keys(STATUS_ACTIONS) as Array<keyof typeof STATUS_ACTIONS>;
  // Reach each state through a valid path from 01.
  const pathTo: Record<string, Array<keyof typeof STATUS_ACTIONS>> = { '01': [], '02': ['suspend'] };
  for (const a of actions) if (!pathTo[STATUS_ACTIONS[a]]) pathTo[STATUS_ACTIONS[a]] = [a];
  let serial = 3000000;
  for (const from of statuses) {
    for (const action of actions) {
      const input = licenseInput(String(++serial));
      const id = input.identifier as string;
      await call(c.issuerA, 'license:Issue', input);
      for (const step of pathTo[from] ?? []) await call(c.issuerA, 'license:ChangeStatus', { identifier: id, action: step, reason: 'setup' });
      const attempt = call<License>(c.issuerA, 'license:ChangeStatus', { identifier: id, action, reason: 'test' });
      if (canTransition(from, action)) {
        t.equal((await attempt).status, STATUS_ACTIONS[action], `${from} --${action}--> ${STATUS_ACTIONS[action]}`);
      } else {
        await refused(t, attempt, 'LICENSE_STATE', `${from} --${action}--> refused`);
      }
    }
  }
  const other = licenseInput('3999999');
  await call(c.issuerA, 'license:Issue', other);
  await refused(t, call(c.issuerB, 'license:ChangeStatus', { identifier: other.identifier, action: 'revoke', reason: 'x' }), 'FORBIDDEN', 'only the issuing organisation');
  await refused(t, call(c.issuerA, 'license:ChangeStatus', { identifier: other.identifier, action: 'destroy', reason: 'x' }), 'VALIDATION_FAILED', 'unknown action');
});

t.test('new versions: linked both ways, old superseded, holder lookup across versions', async (t) => {
  const c = await consortium(t);
  const v1 = licenseInput('2430599');
  await call(c.issuerA, 'license:Issue', v1);
  const id1 = v1.identifier as string;
  const id2 = nextVersionIdentifier(id1);
  const base = { sealId: c.sealA, validFrom: '2026-01-01', validUntil: '2031-12-31' };
  await refused(t, call(c.issuerA, 'license:NewVersion', { ...base, previous: id1, identifier: nextVersionIdentifier(id2), operation: 'renew', reason: 'r', docDigest: digest('v2') }), 'INVALID_IDENTIFIER', 'skipping a version');
  await refused(t, call(c.issuerB, 'license:NewVersion', { ...base, sealId: c.sealB, previous: id1, identifier: id2, operation: 'renew', reason: 'r', docDigest: digest('v2') }), 'FORBIDDEN', 'another organisation');
  const v2 = await call<License>(c.issuerA, 'license:NewVersion', { ...base, previous: id1, identifier: id2, operation: 'renew', reason: 'renewal', docDigest: digest('v2') });
  t.match(v2, { identifier: id2, version: 2, previousIdentifier: id1, origin: 'renew', holderRef: HOLDER_1, status: '01', numberDigest: v1.numberDigest });
  const old = await query<License>(c.issuerA, 'license:GetLicense', id1);
  t.match(old, { superseded: true, nextIdentifier: id2, status: '01' });
  await refused(t, call(c.issuerA, 'license:NewVersion', { ...base, previous: id1, identifier: id2, operation: 'change', reason: 'r', docDigest: digest('v2b') }), 'LICENSE_STATE', 'changing a superseded license');
  await refused(t, call(c.issuerA, 'license:ChangeStatus', { identifier: id1, action: 'revoke', reason: 'r' }), 'LICENSE_STATE', 'revoking a superseded license');
  const id3 = nextVersionIdentifier(id2);
  await call(c.issuerA, 'license:NewVersion', { ...base, previous: id2, identifier: id3, operation: 'change', reason: 'holder changed', docDigest: digest('v3'), holderRef: HOLDER_2, holderCodeType: '001' });
  // a suspended license gets no new version
  const s = licenseInput('2430600');
  await call(c.issuerA, 'license:Issue', s);
  await call(c.issuerA, 'license:ChangeStatus', { identifier: s.identifier, action: 'suspend', reason: 'r' });
  await refused(t, call(c.issuerA, 'license:NewVersion', { ...base, previous: s.identifier, identifier: nextVersionIdentifier(s.identifier as string), operation: 'correct', reason: 'r', docDigest: digest('x') }), 'LICENSE_STATE', 'new version of a suspended license');

  type Chains = { holderRef: string; chains: Array<{ first: string; current: string; versions: License[] }> };
  const byHolder1 = await query<Chains>(c.portal, 'license:ListLicensesByHolder', HOLDER_1);
  const chain = byHolder1.chains.find((x) => x.first === id1);
  t.ok(chain, 'the chain of the first license');
  t.same(chain?.versions.map((v) => v.identifier), [id1, id2, id3], '关联检索: every version, oldest first');
  t.equal(chain?.current, id3);
  t.ok(byHolder1.chains.some((x) => x.first === s.identifier), 'the other license of the holder');
  const byHolder2 = await query<Chains>(c.portal, 'license:ListLicensesByHolder', HOLDER_2);
  t.same(byHolder2.chains.map((x) => x.versions.length), [3], 'found from the new holder too, with its whole chain');
  const forB = await query<Chains>(c.issuerB, 'license:ListLicensesByHolder', HOLDER_1);
  t.same(forB.chains, [], 'another issuer sees none of agency A\'s licenses');
  await refused(t, query(c.verifier, 'license:ListLicensesByHolder', HOLDER_1), 'FORBIDDEN');

  const listed = await query<License[]>(c.auditor, 'license:ListLicensesByIssuer', AGENCY_A, TYPE_CODE);
  t.equal(listed.length, 4);
  t.ok(listed.every((l) => l.holderRef === null), 'auditors get no holder references');
  t.equal((await query<License[]>(c.issuerA, 'license:ListLicensesByIssuer', AGENCY_A, '')).length, 4);
  t.same(await query(c.admin, 'license:ListLicensesByIssuer', AGENCY_A, TYPE_CODE_B), []);
  await refused(t, query(c.issuerB, 'license:ListLicensesByIssuer', AGENCY_A, ''), 'FORBIDDEN');
});

t.test('batch issue: Merkle proofs, resume without duplicates, progress', async (t) => {
  const c = await consortium(t);
  const items = Array.from({ length: 7 }, (_, i) => licenseInput(String(5000000 + i)));
  const tree = new MerkleTree(items.map((i) => i.docDigest as string));
  const proofs = tree.proofs();
  const entry = (i: number): Record<string, unknown> => {
    const { sealId: _s, ...rest } = items[i] as Record<string, unknown>;
    return { ...rest, proof: proofs[i] };
  };
  const batch = (indexes: number[], over: Record<string, unknown> = {}): Record<string, unknown> => ({
    batchId: 'batch-1',
    root: tree.root,
    size: tree.size,
    sealId: c.sealA,
    licenses: indexes.map(entry),
    ...over,
  });
  const first = await call<{ issued: string[]; skipped: string[] }>(c.issuerA, 'license:IssueBatch', batch([0, 1, 2]));
  t.equal(first.issued.length, 3);
  const progress1 = await query<{ recorded: number; complete: boolean }>(c.issuerA, 'license:GetBatch', AGENCY_A, 'batch-1');
  t.match(progress1, { recorded: 3, complete: false, size: 7, root: tree.root });
  // resume: 2 again (already there) + the rest
  const second = await call<{ issued: string[]; skipped: string[] }>(c.issuerA, 'license:IssueBatch', batch([2, 3, 4, 5, 6]));
  t.same(second.skipped, [items[2]?.identifier], 'the already-recorded license is skipped');
  t.equal(second.issued.length, 4);
  const progress2 = await query<{ recorded: number; complete: boolean; chunks: unknown[] }>(c.admin, 'license:GetBatch', AGENCY_A, 'batch-1');
  t.match(progress2, { recorded: 7, complete: true });
  t.equal(progress2.chunks.length, 2);
  const one = await query<License>(c.issuerA, 'license:GetLicense', items[4]?.identifier as string);
  t.match(one, { batchId: 'batch-1', batchRoot: tree.root, batchIndex: 4, sealId: c.sealA });

  const other = Array.from({ length: 2 }, (_, i) => licenseInput(String(6000000 + i)));
  const t2 = new MerkleTree(other.map((i) => i.docDigest as string));
  const wrongProof = { ...other[0], sealId: undefined, proof: t2.proof(1) };
  delete wrongProof.sealId;
  await refused(t, call(c.issuerA, 'license:IssueBatch', { batchId: 'batch-2', root: t2.root, size: 2, sealId: c.sealA, licenses: [wrongProof] }), 'VALIDATION_FAILED', 'a proof for another leaf');
  await refused(t, call(c.issuerA, 'license:IssueBatch', batch([0], { root: t2.root })), 'CONFLICT', 'same batch id, another root');
  const dup = batch([0]);
  (dup.licenses as Array<Record<string, unknown>>)[0] = { ...entry(0), identifier: items[0]?.identifier, docDigest: items[0]?.docDigest };
  const clash = new MerkleTree([digest('x')]);
  await refused(t, call(c.issuerA, 'license:IssueBatch', { batchId: 'batch-3', root: clash.root, size: 1, sealId: c.sealA, licenses: [{ ...entry(0), docDigest: digest('x'), proof: clash.proof(0) }] }), 'CONFLICT', 'an identifier already issued outside this batch');
  const three = Array.from({ length: 2 }, (_, i) => licenseInput(String(7000000 + i)));
  const t3 = new MerkleTree(three.map((i) => i.docDigest as string));
  const wrongType = { ...three[1], typeCode: TYPE_CODE_B, identifier: identifier('7000001', AGENCY_A, TYPE_CODE_B), proof: t3.proof(1) };
  delete (wrongType as Record<string, unknown>).sealId;
  const ok0 = { ...three[0], proof: t3.proof(0) };
  delete (ok0 as Record<string, unknown>).sealId;
  try {
    await call(c.issuerA, 'license:IssueBatch', { batchId: 'batch-4', root: t3.root, size: 2, sealId: c.sealA, licenses: [ok0, wrongType] });
    t.fail('a batch with one bad license must be refused as a whole');
  } catch (error) {
    const e = error as { code: string; message: string };
    t.equal(e.code, 'INVALID_HOLDER_CODE');
    t.match(e.message, /licenses\[1\]/, 'the refusal names the failing entry');
  }
  await refused(t, query(c.admin, 'license:GetLicense', three[0]?.identifier as string), 'NOT_FOUND', 'nothing half-done');
  await refused(t, query(c.admin, 'license:GetBatch', AGENCY_A, 'batch-4'), 'NOT_FOUND');
});
