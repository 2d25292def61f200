import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { loadCaDir, loadCredentials, mspIdFromPath, readMsp, readTls, writeCaDir, writeMsp, writeTls } from '../../certs/msp-layout';
import { tempDir } from './support';

async function mode(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

t.test('member MSP and TLS folders: Fabric file names, 0600 keys, round trip', async (t) => {
  const dir = await tempDir(t);
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const tlsCa = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One', commonName: 'tlsca.org1' });
  const peer = await ca.issueIdentity({ commonName: 'peer0.org1', nodeOU: 'peer' });
  const tls = await tlsCa.issueTls({ commonName: 'peer0.org1', hosts: ['peer0.org1'], usage: 'both' });
  const mspDir = path.join(dir, 'peer0', 'msp');
  const tlsDir = path.join(dir, 'peer0', 'tls');
  await writeMsp(mspDir, { caCertificate: ca.certificate, tlsCaCertificate: tlsCa.certificate, signCertificate: peer.certificate, privateKey: peer.privateKey });
  await writeTls(tlsDir, { kind: 'server', caCertificate: tlsCa.certificate, certificate: tls.certificate, privateKey: tls.privateKey });

  t.equal(await readFile(path.join(mspDir, 'cacerts', 'ca.org1-cert.pem'), 'utf8'), ca.certificate);
  t.equal(await readFile(path.join(mspDir, 'tlscacerts', 'tlsca.org1-cert.pem'), 'utf8'), tlsCa.certificate);
  t.equal(await readFile(path.join(mspDir, 'signcerts', 'cert.pem'), 'utf8'), peer.certificate);
  t.equal(await readFile(path.join(mspDir, 'keystore', 'priv_sk'), 'utf8'), peer.privateKey);
  t.equal(await readFile(path.join(tlsDir, 'ca.crt'), 'utf8'), tlsCa.certificate);
  t.equal(await readFile(path.join(tlsDir, 'server.crt'), 'utf8'), tls.certificate);
  t.equal(await readFile(path.join(tlsDir, 'server.key'), 'utf8'), tls.privateKey);
  t.equal(await mode(path.join(mspDir, 'keystore', 'priv_sk')), 0o600, 'MSP key 0600');
  t.equal(await mode(path.join(mspDir, 'keystore')), 0o700, 'keystore folder 0700');
  t.equal(await mode(path.join(tlsDir, 'server.key')), 0o600, 'TLS key 0600');
  t.equal(await mode(path.join(mspDir, 'signcerts', 'cert.pem')) & 0o077, 0o044, 'certificates readable');

  const config = await readFile(path.join(mspDir, 'config.yaml'), 'utf8');
  t.equal(
    config,
    [
      'NodeOUs:',
      '  Enable: true',
      '  ClientOUIdentifier:',
      '    Certificate: cacerts/ca.org1-cert.pem',
      '    OrganizationalUnitIdentifier: client',
      '  PeerOUIdentifier:',
      '    Certificate: cacerts/ca.org1-cert.pem',
      '    OrganizationalUnitIdentifier: peer',
      '  AdminOUIdentifier:',
      '    Certificate: cacerts/ca.org1-cert.pem',
      '    OrganizationalUnitIdentifier: admin',
      '  OrdererOUIdentifier:',
      '    Certificate: cacerts/ca.org1-cert.pem',
      '    OrganizationalUnitIdentifier: orderer',
      '',
    ].join('\n'),
  );

  t.same(await loadCredentials(mspDir, 'Org1MSP'), { mspId: 'Org1MSP', certificate: peer.certificate, privateKey: peer.privateKey });
  const read = await readMsp(mspDir);
  t.same(read, { cacerts: [ca.certificate], tlscacerts: [tlsCa.certificate], signCertificate: peer.certificate, privateKey: peer.privateKey, nodeOUs: true });
  t.same(await readTls(tlsDir), { kind: 'server', caCertificate: tlsCa.certificate, certificate: tls.certificate, privateKey: tls.privateKey });
  await t.rejects(loadCredentials(mspDir), { code: 'CERTS_INVALID_ARGUMENT' }, 'no MSP ID given or implied');
});

t.test('an organisation MSP holds certificates only', async (t) => {
  const dir = await tempDir(t);
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const mspDir = path.join(dir, 'msp');
  await writeMsp(mspDir, { caCertificate: ca.certificate });
  const read = await readMsp(mspDir);
  t.same(read, { cacerts: [ca.certificate], tlscacerts: [], signCertificate: undefined, privateKey: undefined, nodeOUs: true });
  await t.rejects(loadCredentials(mspDir, 'Org1MSP'), { code: 'CERTS_NOT_FOUND' });
  await t.rejects(readMsp(path.join(dir, 'nothing')), { code: 'CERTS_NOT_FOUND' });
});

t.test('refuses a key that is not the certificate key; reads fabric-ca-client names', async (t) => {
  const dir = await tempDir(t);
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const a = await ca.issueIdentity({ commonName: 'a' });
  const b = await ca.issueIdentity({ commonName: 'b' });
  await t.rejects(writeMsp(path.join(dir, 'bad'), { caCertificate: ca.certificate, signCertificate: a.certificate, privateKey: b.privateKey }), { code: 'CERTS_KEY_MISMATCH' });

  // fabric-ca-client writes signcerts/cert.pem and keystore/<ski>_sk.
  const mspDir = path.join(dir, 'enrolled', 'msp');
  await mkdir(path.join(mspDir, 'cacerts'), { recursive: true });
  await mkdir(path.join(mspDir, 'signcerts'), { recursive: true });
  await mkdir(path.join(mspDir, 'keystore'), { recursive: true });
  await writeFile(path.join(mspDir, 'cacerts', 'localhost-7054-ca-org1.pem'), ca.certificate);
  await writeFile(path.join(mspDir, 'signcerts', 'cert.pem'), a.certificate);
  await writeFile(path.join(mspDir, 'keystore', '3f2a9c_sk'), a.privateKey);
  t.same(await loadCredentials(mspDir, 'Org1MSP'), { mspId: 'Org1MSP', certificate: a.certificate, privateKey: a.privateKey });
  await writeFile(path.join(mspDir, 'keystore', '77aa00_sk'), b.privateKey);
  await t.rejects(loadCredentials(mspDir, 'Org1MSP'), { code: 'CERTS_MALFORMED' }, 'two candidate keys: ambiguous');
});

t.test('CA folders and MSP IDs implied by the consortium layout', async (t) => {
  const dir = await tempDir(t);
  const ca = await CertificateAuthority.create({ mspId: 'Org9MSP', organisation: 'Org Nine' });
  const caDir = path.join(dir, 'organizations', 'Org9MSP', 'ca');
  await writeCaDir(caDir, ca);
  t.equal(await mode(path.join(caDir, 'priv_sk')), 0o600);
  const loaded = await loadCaDir(caDir);
  t.equal(loaded.mspId, 'Org9MSP');
  t.equal(loaded.certificate, ca.certificate);
  t.equal(mspIdFromPath(path.join(dir, 'organizations', 'Org9MSP', 'users', 'alice', 'msp')), 'Org9MSP');
  t.equal(mspIdFromPath(path.join(dir, 'organizations', 'Org9MSP', 'msp')), 'Org9MSP');
  t.equal(mspIdFromPath(path.join(dir, 'elsewhere', 'msp')), undefined);
  await t.rejects(loadCaDir(path.join(dir, 'missing'), 'X'), { code: 'CERTS_NOT_FOUND' });
});
