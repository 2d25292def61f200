import t from 'tap';
import { CertificateAuthority } from '../../certs/certificate-authority';
import { isLowS, verifyNodeSignature } from '../../certs/signer';
import { SigningPool } from '../../certs/signing-pool';
import { pemArmour } from '../support/pem';

t.test('the signing pool signs for many keys, low-S, verifiable, in any interleaving', async (t) => {
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org1' });
  const alice = await ca.issueIdentity({ commonName: 'alice' });
  const bob = await ca.issueIdentity({ commonName: 'bob' });
  const pool = new SigningPool();
  t.teardown(() => pool.close());
  const signers = [pool.signer(alice.privateKey), pool.signer(bob.privateKey)];
  const messages = Array.from({ length: 200 }, (_, i) => Buffer.from(`message ${i} ${'x'.repeat(i)}`));
  const signatures = await Promise.all(messages.map((m, i) => (signers[i % 2] as (m: Uint8Array) => Promise<Uint8Array>)(m)));
  const owners = [alice, bob];
  t.ok(signatures.every((s, i) => verifyNodeSignature((owners[i % 2] as typeof alice).certificate, messages[i] as Buffer, s)), 'each signature verifies with its own certificate');
  t.notOk(verifyNodeSignature(bob.certificate, messages[0] as Buffer, signatures[0] as Uint8Array), 'and not with another');
  t.ok(signatures.every(isLowS), 'all low-S');
});

t.test('a bad key is refused when the signer is made; a closed pool refuses to sign', async (t) => {
  const pool = new SigningPool();
  t.throws(() => pool.signer(pemArmour('PRIVATE KEY', 'not a key')));
  const ca = await CertificateAuthority.create({ mspId: 'Org1MSP', organisation: 'Org1' });
  const signer = pool.signer((await ca.issueIdentity({ commonName: 'x' })).privateKey);
  await pool.close();
  await t.rejects(signer(Buffer.from('after close')), /closed|exited/);
});
