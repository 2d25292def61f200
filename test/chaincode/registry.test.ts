import t from 'tap';
import {
  AGENCY_A,
  AGENCY_B,
  AUTHORITY,
  CODES,
  PORTAL,
  STRANGER,
  TYPE_CODE,
  call,
  consortium,
  digest,
  json,
  licenseInput,
  query,
  refused,
  uscc,
} from './support';
import { startTestNetwork } from '../support/network';

type Org = { mspId: string; version: number; roles: string[]; code: string | null; authority: boolean };

t.test('bootstrap: once, by an admin certificate; afterwards roles count only for registered organisations', async (t) => {
  const net = await startTestNetwork({ organisations: [{ mspId: AUTHORITY }, { mspId: AGENCY_A }, { mspId: STRANGER }] });
  t.teardown(() => net.close());
  const root = await net.client(AUTHORITY, { name: 'root', role: 'admin' });
  const issuerCert = await net.client(AUTHORITY, { role: 'issuer' });
  const rogue = await net.client(AGENCY_A, { name: 'rogue', role: 'admin' });
  const noRole = await net.client(AUTHORITY, { name: 'norole' });

  await refused(t, call(root, 'registry:RegisterOrganisation', { msp: AGENCY_A, name: 'A', code: CODES[AGENCY_A], roles: ['issuer'] }), 'FORBIDDEN', 'nothing works before bootstrap');
  await refused(t, call(issuerCert, 'registry:Bootstrap'), 'FORBIDDEN', 'bootstrap needs lc.role=admin');
  await refused(t, call(noRole, 'registry:Bootstrap'), 'FORBIDDEN', 'no role attribute');
  const org = await call<Org>(root, 'registry:Bootstrap');
  t.match(org, { mspId: AUTHORITY, roles: ['admin'], authority: true, version: 1, code: null });
  await refused(t, call(root, 'registry:Bootstrap'), 'CONFLICT', 'a second bootstrap');
  await refused(t, call(rogue, 'registry:Bootstrap'), 'CONFLICT', 'a second bootstrap from another organisation');

  await call(root, 'registry:RegisterOrganisation', { msp: AGENCY_A, name: 'Agency A', code: CODES[AGENCY_A], roles: ['issuer'] });
  await refused(t, call(rogue, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: uscc('91310000MA1234567'), roles: ['admin'] }), 'FORBIDDEN', 'an agency CA cannot mint itself an admin');
  const strangerAdmin = await net.client(STRANGER, { role: 'admin' });
  await refused(t, query(strangerAdmin, 'registry:ListOrganisations'), 'FORBIDDEN', 'an unregistered member organisation reads nothing');
  await refused(t, query(noRole, 'registry:ListOrganisations'), 'FORBIDDEN', 'an identity without a role');
  const agency = await net.client(AGENCY_A, { role: 'issuer' });
  t.equal((await query<Org[]>(agency, 'registry:ListOrganisations')).length, 2);
});

t.test('organisations: register, update with versions and history, refusals', async (t) => {
  const c = await consortium(t);
  const { admin } = c;
  const authority = await query<Org>(admin, 'registry:GetOrganisation', AUTHORITY);
  t.match(authority, { code: CODES[AUTHORITY], version: 2, authority: true });
  await refused(t, call(admin, 'registry:RegisterOrganisation', { msp: AGENCY_A, name: 'again', code: uscc('91310000MA7654321'), roles: ['issuer'] }), 'CONFLICT', 'registered twice');
  await refused(t, call(admin, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: CODES[AGENCY_A], roles: ['issuer'] }), 'CONFLICT', 'another organisation\'s USCC');
  await refused(t, call(admin, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: 'not-a-uscc', roles: ['issuer'] }), 'VALIDATION_FAILED');
  await refused(t, call(admin, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: uscc('91310000MA1111111'), roles: ['king'] }), 'VALIDATION_FAILED', 'unknown role');
  await refused(t, call(admin, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: uscc('91310000MA1111111'), roles: [] }), 'VALIDATION_FAILED', 'no role');
  await refused(t, call(admin, 'registry:UpdateOrganisation', { msp: STRANGER, name: 'S', code: uscc('91310000MA1111111'), roles: ['issuer'] }), 'NOT_FOUND');
  await refused(t, call(admin, 'registry:UpdateOrganisation', { msp: AUTHORITY, name: 'x', code: CODES[AUTHORITY], roles: ['auditor'] }), 'FORBIDDEN', 'the authority keeps admin');
  await refused(t, call(c.issuerA, 'registry:UpdateOrganisation', { msp: AGENCY_A, name: 'x', code: CODES[AGENCY_A], roles: ['admin', 'issuer'] }), 'FORBIDDEN', 'an issuer changes no registry');

  const updated = await call<Org>(admin, 'registry:UpdateOrganisation', { msp: AGENCY_B, name: 'Agency B (renamed)', code: CODES[AGENCY_B], roles: ['verifier'] });
  t.match(updated, { version: 2, roles: ['verifier'] });
  await refused(t, call(c.issuerB, 'license:Issue', licenseInput('1234567', {}, AGENCY_B)), 'FORBIDDEN', 'a role the organisation no longer holds');
  const history = await query<Array<{ txId: string; value: Org }>>(c.auditor, 'registry:GetOrganisationHistory', AGENCY_B);
  t.same(history.map((h) => h.value.version), [2, 1], 'every version, newest first');
  await refused(t, query(c.verifier, 'registry:GetOrganisationHistory', AGENCY_B), 'FORBIDDEN');
  // a changed code moves the uniqueness index
  const newCode = uscc('91310000MA2222222');
  await call(admin, 'registry:UpdateOrganisation', { msp: PORTAL, name: 'Portal', code: newCode, roles: ['portal'] });
  await call(admin, 'registry:RegisterOrganisation', { msp: STRANGER, name: 'S', code: CODES[PORTAL], roles: ['verifier'] });
  await refused(t, query(admin, 'registry:GetOrganisation', 'bad msp!'), 'VALIDATION_FAILED');
  await refused(t, query(admin, 'registry:GetOrganisation', 'NobodyMSP'), 'NOT_FOUND');
});

t.test('license types: definer prefix, registered issuers, versions', async (t) => {
  const c = await consortium(t);
  const { admin } = c;
  const base = {
    typeCode: `${CODES[AUTHORITY]}100`,
    name: 'Permit',
    definerCode: CODES[AUTHORITY],
    holderCodeTypes: ['001'],
    issuers: [AGENCY_A],
    fieldsSchemaDigest: digest('schema'),
  };
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, definerCode: CODES[AGENCY_A] }), 'VALIDATION_FAILED', 'type code must start with the definer');
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, issuers: ['NobodyMSP'] }), 'VALIDATION_FAILED', 'unregistered issuer');
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, issuers: [PORTAL] }), 'VALIDATION_FAILED', 'not an issuer organisation');
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, holderCodeTypes: ['123'] }), 'VALIDATION_FAILED', 'unknown holder code type');
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, fieldsSchemaDigest: 'md5:00' }), 'VALIDATION_FAILED');
  await refused(t, call(admin, 'registry:RegisterLicenseType', { ...base, typeCode: TYPE_CODE }), 'CONFLICT');
  await refused(t, call(c.issuerA, 'registry:RegisterLicenseType', base), 'FORBIDDEN');
  await call(admin, 'registry:RegisterLicenseType', base);
  const v2 = await call<{ version: number; issuers: string[]; active: boolean }>(admin, 'registry:UpdateLicenseType', { ...base, issuers: [AGENCY_B, AGENCY_A], active: false });
  t.match(v2, { version: 2, issuers: [AGENCY_A, AGENCY_B], active: false });
  const history = await query<Array<{ value: { version: number } }>>(admin, 'registry:GetLicenseTypeHistory', base.typeCode);
  t.same(history.map((h) => h.value.version), [2, 1]);
  t.equal((await query<unknown[]>(c.verifier, 'registry:ListLicenseTypes')).length, 3);
  await refused(t, query(c.verifier, 'registry:GetLicenseType', `${CODES[AUTHORITY]}999`), 'NOT_FOUND');
  await refused(t, call(admin, 'registry:UpdateLicenseType', { ...base, typeCode: `${CODES[AUTHORITY]}999` }), 'NOT_FOUND');
});

t.test('contract metadata describes every transaction', async (t) => {
  const c = await consortium(t);
  type Meta = {
    contracts: Record<string, { info: { title: string; version: string }; transactions: Array<{ name: string; tag: string[]; parameters?: Array<{ name: string; description: string; schema: { type: string } }>; returns?: { type: string } }> }>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  const meta = json<Meta>(await c.auditor.evaluate('org.hyperledger.fabric:GetMetadata'));
  t.same(Object.keys(meta.contracts).sort(), ['consent', 'dispute', 'license', 'material', 'org.hyperledger.fabric', 'registry', 'seal']);
  for (const [name, contract] of Object.entries(meta.contracts)) {
    if (name === 'org.hyperledger.fabric') continue;
    t.equal(contract.info.title, name, `${name} has its info`);
    for (const tx of contract.transactions) {
      t.ok(/^[A-Z][A-Za-z]+$/.test(tx.name), `${name}:${tx.name} is PascalCase`);
      t.same(tx.returns, { type: 'string' }, `${name}:${tx.name} returns a string`);
      t.ok(tx.tag.includes('SUBMIT') || tx.tag.includes('EVALUATE'), `${name}:${tx.name} is tagged`);
      for (const p of tx.parameters ?? []) {
        t.equal(p.schema.type, 'string', `${name}:${tx.name}(${p.name}) is a string`);
        t.ok(p.description.length > 0, `${name}:${tx.name}(${p.name}) is described`);
      }
    }
  }
  for (const record of ['LicenseRecord', 'OrganisationRecord', 'LicenseTypeRecord', 'MaterialRecord', 'GrantRecord', 'ReceiptRecord', 'DisputeRecord', 'SealRecord', 'SealCheck']) {
    t.ok(meta.components.schemas[record]?.properties, `${record} schema`);
  }
  await refused(t, c.admin.evaluate('license:NoSuchThing'), 'NOT_FOUND', 'an unknown transaction is a coded refusal');
});
