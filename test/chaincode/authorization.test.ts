/**
 * Every transaction × every role, against the matrix in authorization-matrix.ts. Each call gets a
 * fresh fixture, valid in every respect but the caller, so a refusal can only come from
 * authorisation (or from the relation the matrix notes).
 */
import t from 'tap';
import { nextVersionIdentifier } from '../../domain/license-identifier';
import { MerkleTree } from '../../domain/merkle';
import { MATRIX, ROLES, type Role, expected } from './authorization-matrix';
import {
  AGENCY_A,
  AGENCY_B,
  AUTHORITY,
  CODES,
  HOLDER_1,
  VERIFIER,
  call,
  consortium,
  digest,
  grantInput,
  json,
  licenseInput,
  materialInput,
  sealInput,
  uscc,
  type Consortium,
  TYPE_CODE,
} from './support';

type Factory = (role: Role) => Promise<unknown[]>;

t.test('authorisation matrix: each role × each transaction', async (t) => {
  const c: Consortium = await consortium(t);
  let n = 0;
  const fresh = (): number => ++n;
  const serial = (): string => String(9_000_000 + fresh());
  const { admin, issuerA, portal, verifier } = c;

  const newLicense = async (): Promise<string> => {
    const input = licenseInput(serial());
    await call(issuerA, 'license:Issue', input);
    return input.identifier as string;
  };
  const newMaterial = async (custodian = portal): Promise<string> => {
    const id = `mat-${fresh()}`;
    await call(custodian, 'material:RegisterMaterial', materialInput(id));
    return id;
  };
  const newGrant = async (materialId: string, grantee = VERIFIER): Promise<string> =>
    (await call<{ grantId: string }>(portal, 'consent:CreateGrant', grantInput(materialId, { grantee, maxUses: 10 }))).grantId;
  const use = (grantId: string, materialId: string) => ({ grantId, materialId, purpose: '办理营业执照变更' });
  const raise = async (subject: { kind: string; id: string }): Promise<string> =>
    (await call<{ disputeId: string }>(portal, 'dispute:Raise', { subject, reason: 'wrong data', holderRef: HOLDER_1 })).disputeId;
  const raiseAccepted = async (subject: { kind: string; id: string }): Promise<string> => {
    const id = await raise(subject);
    await call(admin, 'dispute:Accept', { disputeId: id });
    return id;
  };
  const subjectId = (k: number): string => `x509::/C=CN/O=${AGENCY_A}/CN=staff-${k}::/C=CN/O=${AGENCY_A}/CN=ca`;
  const later = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();
  const ownClient = (role: Role) => (role === 'issuer' ? issuerA : portal);

  // shared fixtures
  const license = await newLicense();
  const material = await newMaterial();
  const grant = await newGrant(material);
  const receipt = (await call<{ receiptId: string }>(verifier, 'consent:UseMaterial', use(grant, material))).receiptId;
  const dispute = await raiseAccepted({ kind: 'license', id: license });
  const batchItem = licenseInput(serial());
  const batchTree = new MerkleTree([batchItem.docDigest as string]);
  const batchOf = (item: Record<string, unknown>, tree: MerkleTree, batchId: string): Record<string, unknown> => {
    const { sealId: _ignored, ...rest } = item;
    return { batchId, root: tree.root, size: 1, sealId: c.sealA, licenses: [{ ...rest, proof: tree.proof(0) }] };
  };
  await call(issuerA, 'license:IssueBatch', batchOf(batchItem, batchTree, 'fixture-batch'));

  const typeInput = (typeCode: string): Record<string, unknown> => ({
    typeCode,
    name: 'Type',
    definerCode: CODES[AUTHORITY],
    holderCodeTypes: ['001', '111'],
    issuers: [AGENCY_A, AGENCY_B],
    fieldsSchemaDigest: digest('{"type":"object"}'),
  });

  const factories: Record<string, Factory> = {
    'registry:Bootstrap': async () => [],
    'registry:RegisterOrganisation': async () => {
      const k = fresh();
      return [{ msp: `Extra${k}MSP`, name: `Extra ${k}`, code: uscc(`91310000MA${String(k).padStart(7, '0')}`), roles: ['verifier'] }];
    },
    'registry:UpdateOrganisation': async () => [{ msp: VERIFIER, name: `Verifier ${fresh()}`, code: CODES[VERIFIER], roles: ['verifier'] }],
    'registry:GetOrganisation': async () => [AGENCY_A],
    'registry:ListOrganisations': async () => [],
    'registry:GetOrganisationHistory': async () => [AGENCY_A],
    'registry:RegisterLicenseType': async () => [typeInput(`${CODES[AUTHORITY]}${String(100 + fresh()).padStart(3, '0')}`)],
    'registry:UpdateLicenseType': async () => [typeInput(TYPE_CODE)],
    'registry:GetLicenseType': async () => [TYPE_CODE],
    'registry:ListLicenseTypes': async () => [],
    'registry:GetLicenseTypeHistory': async () => [TYPE_CODE],

    'license:Issue': async () => [licenseInput(serial())],
    'license:IssueBatch': async () => {
      const item = licenseInput(serial());
      return [batchOf(item, new MerkleTree([item.docDigest as string]), `batch-${fresh()}`)];
    },
    'license:ChangeStatus': async () => [{ identifier: await newLicense(), action: 'suspend', reason: 'check' }],
    'license:NewVersion': async () => {
      const id = await newLicense();
      return [{ previous: id, identifier: nextVersionIdentifier(id), operation: 'renew', reason: 'renewal', sealId: c.sealA, docDigest: digest(`v2-${id}`), validFrom: '2026-01-01', validUntil: null }];
    },
    'license:GetLicense': async () => [license],
    'license:GetLicenseHistory': async () => [license],
    'license:ListLicensesByHolder': async () => [HOLDER_1],
    'license:ListLicensesByIssuer': async () => [AGENCY_A, TYPE_CODE],
    'license:GetBatch': async () => [AGENCY_A, 'fixture-batch'],
    'license:GetBatchHeader': async () => [AGENCY_A, 'fixture-batch'],
    'license:GetVerificationFacts': async () => [batchItem.identifier as string, ''],

    'material:RegisterMaterial': async () => [materialInput(`mat-${fresh()}`)],
    'material:WithdrawMaterial': async (role) => [{ materialId: await newMaterial(ownClient(role)), ownerRef: HOLDER_1, reason: 'outdated' }],
    'material:GetMaterial': async () => [material],
    'material:FindMaterialsByDigest': async () => [digest(`bytes-${material}`)],
    'material:ListMaterialsByOwner': async () => [HOLDER_1],

    'consent:CreateGrant': async () => [grantInput(material)],
    'consent:RevokeGrant': async () => [{ grantId: await newGrant(material), ownerRef: HOLDER_1 }],
    'consent:UseMaterial': async (role) => {
      const grantee = role === 'issuer' ? AGENCY_A : VERIFIER;
      return [use(await newGrant(material, grantee), material)];
    },
    'consent:RecordDelivery': async (role) => {
      const m = await newMaterial(ownClient(role));
      const g = await newGrant(m);
      return [(await call<{ receiptId: string }>(verifier, 'consent:UseMaterial', use(g, m))).receiptId];
    },
    'consent:GetGrant': async () => [grant],
    'consent:ListGrantsByOwner': async () => [HOLDER_1],
    'consent:ListGrantsByMaterial': async () => [material],
    'consent:GetReceipt': async () => [receipt],
    'consent:ListReceiptsByMaterial': async () => [material],
    'consent:ListReceiptsByOwner': async () => [HOLDER_1],

    'dispute:Raise': async () => [{ subject: { kind: 'license', id: license }, reason: 'wrong address' }],
    'dispute:Accept': async () => [{ disputeId: await raise({ kind: 'license', id: license }) }],
    'dispute:Refuse': async () => [{ disputeId: await raise({ kind: 'license', id: license }), reason: 'not a data error' }],
    'dispute:Extend': async () => [{ disputeId: await raiseAccepted({ kind: 'license', id: license }), reason: 'more time' }],
    'dispute:Resolve': async (role) => {
      const subject = role === 'portal' ? { kind: 'material', id: material } : { kind: 'license', id: license };
      return [{ disputeId: await raiseAccepted(subject), outcome: 'confirmed', note: 'data is right' }];
    },
    'dispute:GetDispute': async () => [dispute],
    'dispute:ListDisputesByStatus': async () => ['ACCEPTED'],
    'dispute:ListDisputesByAssignee': async () => [AGENCY_A],
    'dispute:ListDisputesByHolder': async () => [HOLDER_1],
    'dispute:ListOverdueDisputes': async () => [],

    'seal:Apply': async () => [sealInput(`seal-m-${fresh()}`)],
    'seal:Approve': async () => {
      const id = `seal-m-${fresh()}`;
      await call(issuerA, 'seal:Apply', sealInput(id));
      return [id];
    },
    'seal:Authorize': async () => [{ sealId: c.sealA, subject: subjectId(fresh()), notBefore: later(-1), notAfter: later(30) }],
    'seal:RevokeAuthorization': async () => {
      const subject = subjectId(fresh());
      await call(issuerA, 'seal:Authorize', { sealId: c.sealA, subject, notBefore: later(-1), notAfter: later(30) });
      return [{ sealId: c.sealA, subject, reason: 'left' }];
    },
    'seal:ChangeStatus': async () => {
      const id = `seal-m-${fresh()}`;
      await call(issuerA, 'seal:Apply', sealInput(id));
      await call(admin, 'seal:Approve', id);
      return [{ sealId: id, action: 'suspend', reason: 'audit' }];
    },
    'seal:GetSeal': async () => [c.sealA],
    'seal:ListSealsByOwner': async () => [AGENCY_A],
    'seal:ListAuthorizations': async () => [c.sealA],
    'seal:CheckSeal': async () => [c.sealA, '', new Date().toISOString()],
    'seal:GetSealHistory': async () => [c.sealA],
  };

  type Meta = { contracts: Record<string, { transactions: Array<{ name: string; tag: string[] }> }> };
  const meta = json<Meta>(await c.auditor.evaluate('org.hyperledger.fabric:GetMetadata'));
  const submitted = new Set<string>();
  const all: string[] = [];
  for (const [name, contract] of Object.entries(meta.contracts)) {
    if (name === 'org.hyperledger.fabric') continue;
    for (const tx of contract.transactions) {
      all.push(`${name}:${tx.name}`);
      if (tx.tag.includes('SUBMIT')) submitted.add(`${name}:${tx.name}`);
    }
  }
  t.same([...all].sort(), Object.keys(MATRIX).sort(), 'the matrix has a row for every transaction, and no other');
  t.same([...all].sort(), Object.keys(factories).sort(), 'every transaction has a fixture');

  for (const tx of Object.keys(MATRIX)) {
    for (const role of ROLES) {
      const want = expected(tx, role);
      const factory = factories[tx] as Factory;
      const args = (await factory(role)).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
      const client = c.byRole[role];
      let got: string;
      try {
        if (submitted.has(tx)) await client.submit(tx, { arguments: args });
        else await client.evaluate(tx, { arguments: args });
        got = 'ok';
      } catch (error) {
        const e = error as { code?: string; message?: string };
        got = e.code ?? `?${e.message}`;
      }
      t.equal(got, want, `${role.padEnd(8)} ${tx}`);
    }
  }
});
