import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import t from 'tap';
import { parseCertificate, verifyChain } from '../../certs/certificate-info';
import type { ConsortiumSpec } from '../../certs/consortium';
import { createConsortium, findMember, loadConsortium, memberCredentials, organisationCa } from '../../certs/consortium';
import { newNodeSigner, verifyNodeSignature } from '../../certs/signer';
import { clientIdentity, openssl, tempDir } from './support';

const SPEC: ConsortiumSpec = {
  organisations: [
    {
      mspId: 'AuthorityMSP',
      name: 'Data Authority',
      identities: [
        { name: 'Admin', nodeOU: 'admin', role: 'admin' },
        { name: 'issuer1', role: 'issuer', attrs: { 'lc.unit': 'licences' } },
      ],
      peers: ['peer0.authority'],
      orderers: ['orderer0.authority'],
    },
    { mspId: 'AgencyMSP', name: 'Relying Agency', identities: [{ name: 'verifier1', role: 'verifier' }], peers: ['peer0.agency'] },
  ],
};

/** Every file under `dir`, relative, sorted. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** Every file's content and mtime, to prove a re-run wrote nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await walk(dir)) map.set(f, `${(await stat(path.join(dir, f))).mtimeMs}:${await readFile(path.join(dir, f), 'utf8')}`);
  return map;
}

t.test('createConsortium writes a cryptogen-like tree that Fabric tools and fabric-shim accept', async (t) => {
  const out = await tempDir(t);
  const c = await createConsortium(out, SPEC);
  t.equal(c.dir, path.resolve(out));
  t.same(c.organisations.map((o) => o.mspId), ['AgencyMSP', 'AuthorityMSP']);
  t.equal(c.created.length, 2 * 3 + 4 + 2, 'per organisation ca, tlsca, msp; plus every member');

  const org = path.join(out, 'organizations', 'AuthorityMSP');
  const files = await walk(org);
  for (const f of [
    'ca/ca.authority-cert.pem',
    'ca/priv_sk',
    'tlsca/tlsca.authority-cert.pem',
    'tlsca/priv_sk',
    'msp/cacerts/ca.authority-cert.pem',
    'msp/tlscacerts/tlsca.authority-cert.pem',
    'msp/config.yaml',
    'users/issuer1/msp/signcerts/cert.pem',
    'users/issuer1/msp/keystore/priv_sk',
    'users/issuer1/msp/cacerts/ca.authority-cert.pem',
    'users/issuer1/msp/tlscacerts/tlsca.authority-cert.pem',
    'users/issuer1/msp/config.yaml',
    'users/issuer1/tls/ca.crt',
    'users/issuer1/tls/client.crt',
    'users/issuer1/tls/client.key',
    'peers/peer0.authority/msp/signcerts/cert.pem',
    'peers/peer0.authority/tls/server.crt',
    'peers/peer0.authority/tls/server.key',
    'orderers/orderer0.authority/msp/keystore/priv_sk',
    'orderers/orderer0.authority/tls/server.key',
  ]) {
    t.ok(files.includes(f), f);
  }
  t.same(files.filter((f) => f.startsWith('msp/')), ['msp/cacerts/ca.authority-cert.pem', 'msp/config.yaml', 'msp/tlscacerts/tlsca.authority-cert.pem'], 'the organisation MSP holds no keys');
  const keys = files.filter((f) => f.endsWith('priv_sk') || f.endsWith('.key'));
  t.equal(keys.length, 2 + 4 * 2);
  const modes = await Promise.all(keys.map(async (k) => (await stat(path.join(org, k))).mode & 0o777));
  t.ok(modes.every((m) => m === 0o600), 'every private key is 0600');
  t.equal(files.filter((f) => f.includes('.tmp')).length, 0, 'no temporary leftovers');

  // Certificates chain where they should, per openssl.
  const verifyWith = (ca: string, cert: string) => openssl(['verify', '-CAfile', path.join(org, ca), path.join(org, cert)]);
  t.equal((await verifyWith('msp/cacerts/ca.authority-cert.pem', 'users/issuer1/msp/signcerts/cert.pem')).code, 0);
  t.equal((await verifyWith('msp/tlscacerts/tlsca.authority-cert.pem', 'peers/peer0.authority/tls/server.crt')).code, 0);
  t.not((await verifyWith('msp/cacerts/ca.authority-cert.pem', 'peers/peer0.authority/tls/server.crt')).code, 0, 'TLS and signing CAs are distinct');
  const san = (await openssl(['x509', '-in', path.join(org, 'peers/peer0.authority/tls/server.crt'), '-noout', '-ext', 'subjectAltName'])).output;
  t.match(san, 'DNS:peer0.authority, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');

  // Roles, OUs and ids as chaincode will see them.
  const issuer = findMember(c, 'AuthorityMSP', 'issuer1');
  t.equal(issuer.role, 'issuer');
  t.equal(issuer.attrs['lc.unit'], 'licences');
  const creds = await memberCredentials(c, 'AuthorityMSP', 'issuer1');
  const id = clientIdentity(creds.mspId, creds.certificate);
  t.equal(id.getAttributeValue('lc.role'), 'issuer');
  t.equal(id.getID(), issuer.clientId);
  t.equal(findMember(c, 'AuthorityMSP', 'Admin').nodeOU, 'admin');
  t.equal(findMember(c, 'AuthorityMSP', 'peer0.authority').nodeOU, 'peer');
  t.equal(findMember(c, 'AuthorityMSP', 'orderer0.authority').kind, 'orderer');
  const agency = c.organisations.find((o) => o.mspId === 'AgencyMSP');
  t.equal(agency?.name, 'Relying Agency');
  t.equal((await verifyChain(creds.certificate, [agency?.caCertificate ?? ''], new Date())).ok, false, 'not a member of the other organisation');
  const signature = await newNodeSigner(creds.privateKey)(Buffer.from('tx'));
  t.ok(verifyNodeSignature(creds.certificate, Buffer.from('tx'), signature));

  // The organisation's CA can be loaded back to issue more.
  const ca = await organisationCa(c, 'AuthorityMSP');
  const extra = await ca.issueIdentity({ commonName: 'extra', attrs: { 'lc.role': 'auditor' } });
  t.equal((await verifyChain(extra.certificate, [c.organisations[1]?.caCertificate ?? ''], new Date())).ok, true);
});

t.test('idempotent: a second run reuses everything; a grown spec adds only what is new', async (t) => {
  const out = await tempDir(t);
  await createConsortium(out, SPEC);
  const before = await snapshot(out);
  const again = await createConsortium(out, SPEC);
  t.same(again.created, [], 'nothing created');
  t.same(await snapshot(out), before, 'no file rewritten');
  t.same(await loadConsortium(out), again, 'loadConsortium sees the same consortium');

  const grown: ConsortiumSpec = {
    organisations: [
      ...SPEC.organisations.map((o) => (o.mspId === 'AgencyMSP' ? { ...o, identities: [...o.identities, { name: 'portal1', role: 'portal' }] } : o)),
      { mspId: 'AuditMSP', name: 'Oversight', identities: [{ name: 'auditor1', role: 'auditor' }] },
    ],
  };
  const third = await createConsortium(out, grown);
  t.same(
    third.created.map((d) => path.relative(out, d)).sort(),
    ['organizations/AgencyMSP/users/portal1', 'organizations/AuditMSP/ca', 'organizations/AuditMSP/msp', 'organizations/AuditMSP/tlsca', 'organizations/AuditMSP/users/auditor1'],
  );
  const after = await snapshot(out);
  for (const [file, content] of before) t.equal(after.get(file), content, `${file} untouched`);
  const issuerBefore = parseCertificate(before.get('organizations/AuthorityMSP/users/issuer1/msp/signcerts/cert.pem')?.replace(/^[^:]*:/, '') ?? '');
  t.equal(findMember(third, 'AuthorityMSP', 'issuer1').clientId, issuerBefore.clientId);
});

t.test('conflicts and bad specs are refused with clear codes', async (t) => {
  const out = await tempDir(t);
  await createConsortium(out, SPEC);
  const changed: ConsortiumSpec = {
    organisations: SPEC.organisations.map((o) =>
      o.mspId === 'AgencyMSP' ? { ...o, identities: [{ name: 'verifier1', role: 'issuer' }] } : o,
    ),
  };
  await t.rejects(createConsortium(out, changed), { code: 'CERTS_CONFLICT', message: /verifier1.*remove/ });
  const renamed: ConsortiumSpec = { organisations: [{ ...(SPEC.organisations[1] as ConsortiumSpec['organisations'][number]), name: 'Someone Else' }] };
  await t.rejects(createConsortium(out, renamed), { code: 'CERTS_CONFLICT' });

  const bad = (spec: unknown) => createConsortium(out, spec as ConsortiumSpec);
  await t.rejects(bad({}), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(bad({ organisations: [{ mspId: 'A', name: 'A', identities: [{ name: '../x' }] }] }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(bad({ organisations: [{ mspId: 'A', name: 'A', identities: [{ name: 'x' }, { name: 'x' }] }] }), { code: 'CERTS_INVALID_ARGUMENT', message: /twice/ });
  await t.rejects(bad({ organisations: [{ mspId: 'A', name: 'A', identities: [], peers: ['bad host'] }] }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(bad({ organisations: [{ mspId: 'A', name: 'A', identities: [{ name: 'x', role: 'a', attrs: { 'lc.role': 'b' } }] }] }), { code: 'CERTS_INVALID_ARGUMENT', message: /disagree/ });
  await t.rejects(loadConsortium(path.join(out, 'nowhere')), { code: 'CERTS_NOT_FOUND' });
});
