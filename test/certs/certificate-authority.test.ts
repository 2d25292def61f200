import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { x509 } from '../../certs/x509-provider';
import { CertificateAuthority, mspLabel } from '../../certs/certificate-authority';
import { decodeFabricAttributes, encodeFabricAttributes, FABRIC_ATTRS_OID } from '../../certs/fabric-attributes';
import { clientIdentity, openssl, tempDir, writeFiles } from './support';
import { pemHeader } from '../support/pem';

t.test('root CA: cryptogen-like subject, CA extensions, self-signed', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  t.equal(ca.mspId, 'Org1MSP');
  t.equal(ca.commonName, 'ca.org1');
  t.ok(ca.privateKey.startsWith(`${pemHeader('PRIVATE KEY')}\n`), 'PKCS#8 PEM');
  const dir = await tempDir(t);
  const files = await writeFiles(dir, { 'ca.pem': ca.certificate });
  const text = (await openssl(['x509', '-in', files['ca.pem'] as string, '-noout', '-text'])).output;
  t.match(text, 'Subject: C = CN, ST = Shanghai, L = Shanghai, O = Org One, CN = ca.org1');
  t.match(text, 'ecdsa-with-SHA256');
  t.match(text, 'NIST CURVE: P-256');
  t.match(text, /Basic Constraints: critical\s+CA:TRUE/);
  t.match(text, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
  t.match(text, 'Subject Key Identifier');
  t.equal((await openssl(['verify', '-CAfile', files['ca.pem'] as string, files['ca.pem'] as string])).code, 0);
  // Cryptogen's validity: from five minutes ago, ten years.
  const years = (ca.notAfter.getTime() - ca.notBefore.getTime()) / (365.25 * 24 * 3600e3);
  t.ok(years > 9.9 && years < 10.1, `about ten years (${years})`);
  t.ok(ca.notBefore.getTime() <= Date.now() - 4 * 60e3);
});

t.test('MSP labels for default CA names', async (t) => {
  t.equal(mspLabel('Org1MSP'), 'org1');
  t.equal(mspLabel('Data.Authority-MSP'), 'data-authority');
  t.equal(mspLabel('MSP'), 'org');
});

t.test('identity with attributes: exact Fabric CA extension, read by fabric-shim and openssl', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const alice = await ca.issueIdentity({ commonName: 'alice', attrs: { 'lc.role': 'issuer' } });
  t.equal(alice.mspId, 'Org1MSP');

  const cert = new x509.X509Certificate(alice.certificate);
  const ext = cert.getExtension(FABRIC_ATTRS_OID);
  t.ok(ext, 'attribute extension present');
  t.equal(ext?.critical, false);
  t.equal(
    Buffer.from(ext?.value ?? new ArrayBuffer(0)).toString('latin1'),
    '{"attrs":{"hf.Affiliation":"","hf.EnrollmentID":"alice","hf.Type":"client","lc.role":"issuer"}}',
    'raw UTF-8 JSON as Go json.Marshal writes it, keys sorted',
  );

  const id = clientIdentity('Org1MSP', alice.certificate);
  t.equal(id.getAttributeValue('lc.role'), 'issuer');
  t.equal(id.getAttributeValue('hf.EnrollmentID'), 'alice');
  t.equal(id.getAttributeValue('missing'), null);
  t.equal(id.getMSPID(), 'Org1MSP');
  t.equal(id.getID(), 'x509::/C=CN/ST=Shanghai/L=Shanghai/O=Org One/OU=client/CN=alice::/C=CN/ST=Shanghai/L=Shanghai/O=Org One/CN=ca.org1');

  const dir = await tempDir(t);
  const files = await writeFiles(dir, { 'ca.pem': ca.certificate, 'alice.pem': alice.certificate });
  const verified = await openssl(['verify', '-CAfile', files['ca.pem'] as string, files['alice.pem'] as string]);
  t.equal(verified.code, 0, verified.output);
  const text = (await openssl(['x509', '-in', files['alice.pem'] as string, '-noout', '-text'])).output;
  t.match(text, /1\.2\.3\.4\.5\.6\.7\.8\.1:\s*\n\s*\{"attrs":\{"hf\.Affiliation":"","hf\.EnrollmentID":"alice","hf\.Type":"client","lc\.role":"issuer"\}\}/);
  t.match(text, /Key Usage: critical\s+Digital Signature\n/);
  t.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  t.match(text, 'Authority Key Identifier');
  t.match(text, 'Subject: C = CN, ST = Shanghai, L = Shanghai, O = Org One, OU = client, CN = alice');

  // The issuer is the CA's subject byte for byte (Go and OpenSSL compare them), and the key ids chain.
  const nodeCert = new X509Certificate(alice.certificate);
  t.ok(nodeCert.checkIssued(new X509Certificate(ca.certificate)));
  t.ok(nodeCert.verify(new X509Certificate(ca.certificate).publicKey));
  const caSki = new x509.X509Certificate(ca.certificate).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  t.equal(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caSki);
});

t.test('identity without attrs has no extension; nodeOU sets the OU and hf.Type', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org2MSP', organisation: 'Org Two' });
  const plain = await ca.issueIdentity({ commonName: 'plain' });
  t.equal(new x509.X509Certificate(plain.certificate).getExtension(FABRIC_ATTRS_OID), null);
  t.equal(clientIdentity('Org2MSP', plain.certificate).getAttributeValue('lc.role'), null);
  const admin = await ca.issueIdentity({ commonName: 'Admin', nodeOU: 'admin', attrs: {} });
  const id = clientIdentity('Org2MSP', admin.certificate);
  t.match(id.getID(), /^x509::\/C=CN\/ST=Shanghai\/L=Shanghai\/O=Org Two\/OU=admin\/CN=Admin::/);
  t.equal(id.getAttributeValue('hf.Type'), 'admin');
});

t.test("attribute encoding follows Go's encoding/json byte for byte", async (t) => {
  const encoded = Buffer.from(
    encodeFabricAttributes({ z: '"\\\n\t\u0001', b: '<a & b>', a: '\u2028\u2029', é: 'ü', '\u{10000}': 'astral', '\uffff': 'bmp' }),
  ).toString('utf8');
  // Keys in UTF-8 byte order (U+FFFF sorts before U+10000, unlike UTF-16); <, >, &, U+2028/9 escaped.
  t.equal(
    encoded,
    '{"attrs":{"a":"\\u2028\\u2029","b":"\\u003ca \\u0026 b\\u003e","z":"\\"\\\\\\n\\t\\u0001","é":"ü","\uffff":"bmp","\u{10000}":"astral"}}',
  );
  t.same(decodeFabricAttributes(new TextEncoder().encode(encoded)), { z: '"\\\n\t\u0001', b: '<a & b>', a: '\u2028\u2029', é: 'ü', '\u{10000}': 'astral', '\uffff': 'bmp' });
  t.throws(() => encodeFabricAttributes({ bad: '\ud800' }), /well-formed/);
  t.throws(() => decodeFabricAttributes(new TextEncoder().encode('{"attrs":{"n":1}}')));
});

t.test('load: round trip, wrong key, leaf certificate', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One', commonName: 'root.org1' });
  const other = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const loaded = await CertificateAuthority.load(ca.certificate, ca.privateKey, 'Org1MSP');
  t.equal(loaded.certificate, ca.certificate);
  t.equal(loaded.organisation, 'Org One');
  t.equal(loaded.commonName, 'root.org1');
  const bob = await loaded.issueIdentity({ commonName: 'bob', attrs: { 'lc.role': 'verifier' } });
  t.ok(new X509Certificate(bob.certificate).verify(new X509Certificate(ca.certificate).publicKey), 'issued by the loaded CA verifies under the original');
  t.equal(
    new x509.X509Certificate(bob.certificate).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
    new x509.X509Certificate(ca.certificate).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
  );
  await t.rejects(CertificateAuthority.load(ca.certificate, other.privateKey, 'Org1MSP'), { code: 'CERTS_KEY_MISMATCH' });
  await t.rejects(CertificateAuthority.load(bob.certificate, bob.privateKey, 'Org1MSP'), { code: 'CERTS_MALFORMED' });
  await t.rejects(CertificateAuthority.load('not a pem', ca.privateKey, 'Org1MSP'), { code: 'CERTS_MALFORMED' });
});

t.test('refusals', async (t) => {
  await t.rejects(CertificateAuthority.create({ mspId: '../evil', organisation: 'X' }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(CertificateAuthority.create({ mspId: 'OrgMSP', organisation: '' }), { code: 'CERTS_INVALID_ARGUMENT' });
  const ca = await CertificateAuthority.create({ mspId: 'OrgMSP', organisation: 'Org', notAfter: new Date(Date.now() + 24 * 3600e3) });
  await t.rejects(ca.issueIdentity({ commonName: 'x', attrs: { 'hf.Type': 'peer' } }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(ca.issueIdentity({ commonName: 'x', nodeOU: 'boss' as never }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(ca.issueIdentity({ commonName: 'x', notAfter: new Date(Date.now() + 48 * 3600e3) }), { code: 'CERTS_INVALID_ARGUMENT', message: /after the CA's own/ });
  await t.rejects(ca.issueIdentity({ commonName: 'x', notBefore: new Date(), notAfter: new Date(Date.now() - 1000) }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(ca.issueTls({ commonName: 'x', hosts: [], usage: 'server' }), { code: 'CERTS_INVALID_ARGUMENT' });
  await t.rejects(ca.issueTls({ commonName: 'x', hosts: ['bad host'], usage: 'both' }), { code: 'CERTS_INVALID_ARGUMENT' });
  // By default an identity lives as long as its CA.
  const leaf = await ca.issueIdentity({ commonName: 'short' });
  t.equal(new x509.X509Certificate(leaf.certificate).notAfter.getTime(), ca.notAfter.getTime());
});
