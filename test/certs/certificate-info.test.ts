import { createPublicKey } from 'node:crypto';
import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { parseCertificate, verifyChain } from '../../certs/certificate-info';
import { fromPem, toPem } from '../../certs/x509-provider';
import { clientIdentity, openssl, tempDir, writeFiles } from './support';

const DAY = 24 * 3600e3;

t.test('parseCertificate: fields, attrs, key, fingerprint, Fabric client id', async (t) => {
  // A "/" in a value: fabric-shim escapes only the first one; the id must match it exactly.
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'A/B/C 数据局' });
  const alice = await ca.issueIdentity({ commonName: 'alice', nodeOU: 'client', attrs: { 'lc.role': 'issuer' } });
  const info = parseCertificate(alice.certificate);
  t.equal(info.commonName, 'alice');
  t.equal(info.organisation, 'A/B/C 数据局');
  t.same(info.organisationalUnits, ['client']);
  t.equal(info.nodeOU, 'client');
  t.equal(info.isCA, false);
  t.equal(parseCertificate(ca.certificate).isCA, true);
  t.match(info.subject, /CN=alice/);
  t.match(info.issuer, /CN=ca\.org1/);
  t.same(info.attrs, { 'hf.Affiliation': '', 'hf.EnrollmentID': 'alice', 'hf.Type': 'client', 'lc.role': 'issuer' });
  t.equal(info.clientId, clientIdentity('Org1MSP', alice.certificate).getID());
  t.match(info.clientId, 'O=A\\/B/C 数据局');
  t.ok(info.notBefore < new Date() && info.notAfter > new Date());
  t.equal(info.pem, alice.certificate);
  t.same(
    info.publicKey.export({ type: 'spki', format: 'der' }),
    createPublicKey(alice.privateKey).export({ type: 'spki', format: 'der' }),
  );
  const dir = await tempDir(t);
  const files = await writeFiles(dir, { 'alice.pem': alice.certificate });
  const fp = (await openssl(['x509', '-in', files['alice.pem'] as string, '-noout', '-fingerprint', '-sha256'])).output;
  t.equal(info.fingerprint, /=([0-9A-F:]+)/.exec(fp)?.[1]?.replace(/:/g, '').toLowerCase());
  t.same(parseCertificate((await ca.issueIdentity({ commonName: 'plain' })).certificate).attrs, {});
  t.throws(() => parseCertificate('garbage'), { code: 'CERTS_MALFORMED' });
});

t.test('verifyChain accepts a member certificate and refuses what it must', async (t) => {
  const now = new Date();
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One', notBefore: new Date(now.getTime() - 60 * DAY) });
  const otherCa = await CertificateAuthority.create({ mspId: 'Org2MSP', organisation: 'Org Two' });
  // Same name as `ca`, different key: only the signature tells them apart.
  const impostorCa = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org One' });
  const alice = await ca.issueIdentity({ commonName: 'alice', attrs: { 'lc.role': 'issuer' } });

  const ok = await verifyChain(alice.certificate, [otherCa.certificate, ca.certificate], now);
  t.equal(ok.ok, true);
  t.match(ok, { issuer: /CN=ca\.org1/ });

  const foreign = await otherCa.issueIdentity({ commonName: 'mallory' });
  t.match(await verifyChain(foreign.certificate, [ca.certificate], now), { ok: false, code: 'UNKNOWN_ISSUER' });
  t.match(await verifyChain(alice.certificate, [impostorCa.certificate], now), { ok: false, code: 'BAD_SIGNATURE' });

  const expired = await ca.issueIdentity({ commonName: 'old', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() - DAY) });
  t.match(await verifyChain(expired.certificate, [ca.certificate], now), { ok: false, code: 'EXPIRED' });
  t.equal((await verifyChain(expired.certificate, [ca.certificate], new Date(now.getTime() - 2 * DAY))).ok, true, 'valid when checked inside its window');
  const future = await ca.issueIdentity({ commonName: 'soon', notBefore: new Date(now.getTime() + DAY) });
  t.match(await verifyChain(future.certificate, [ca.certificate], now), { ok: false, code: 'NOT_YET_VALID' });

  // Tampered: one byte of the signed part changed (the CN "alice" → "alicf").
  const der = fromPem(alice.certificate, 'CERTIFICATE') as Buffer;
  const at = der.indexOf(Buffer.from('alice'));
  t.ok(at > 0);
  const tamperedDer = Buffer.from(der);
  tamperedDer[at + 4] = 'f'.charCodeAt(0);
  const tampered = toPem(tamperedDer, 'CERTIFICATE');
  t.equal(parseCertificate(tampered).commonName, 'alicf', 'still parses');
  t.match(await verifyChain(tampered, [ca.certificate], now), { ok: false, code: 'BAD_SIGNATURE' });
  const dir = await tempDir(t);
  const f = await writeFiles(dir, { 'ca.pem': ca.certificate, 'tampered.pem': tampered, 'foreign.pem': foreign.certificate, 'expired.pem': expired.certificate });
  t.not((await openssl(['verify', '-CAfile', f['ca.pem'] as string, f['tampered.pem'] as string])).code, 0, 'openssl agrees: tampered');
  t.not((await openssl(['verify', '-CAfile', f['ca.pem'] as string, f['foreign.pem'] as string])).code, 0, 'openssl agrees: other CA');
  t.not((await openssl(['verify', '-CAfile', f['ca.pem'] as string, f['expired.pem'] as string])).code, 0, 'openssl agrees: expired');

  // The CA itself outside its validity at the time checked.
  const shortCa = await CertificateAuthority.create({ mspId: 'Org3MSP', organisation: 'Org Three', notBefore: new Date(now.getTime() - 10 * DAY), notAfter: new Date(now.getTime() - DAY) });
  const early = await shortCa.issueIdentity({ commonName: 'early', notBefore: new Date(now.getTime() - 10 * DAY), notAfter: new Date(now.getTime() - 2 * DAY) });
  t.equal((await verifyChain(early.certificate, [shortCa.certificate], new Date(now.getTime() - 5 * DAY))).ok, true);
  const lateCa = await CertificateAuthority.create({ mspId: 'Org4MSP', organisation: 'Org Four', notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) });
  const backdated = await lateCa.issueIdentity({ commonName: 'backdated', notBefore: new Date(now.getTime() - 10 * DAY) });
  t.match(await verifyChain(backdated.certificate, [lateCa.certificate], new Date(now.getTime() - 5 * DAY)), { ok: false, code: 'CA_NOT_VALID' });

  // A leaf used as if it were a CA.
  const child = await ca.issueIdentity({ commonName: 'child' });
  t.match(await verifyChain(alice.certificate, [child.certificate], now), { ok: false });
  t.match(await verifyChain('nonsense', [ca.certificate], now), { ok: false, code: 'MALFORMED' });
  t.match(await verifyChain(alice.certificate, [], now), { ok: false, code: 'UNKNOWN_ISSUER' });
});
