/**
 * Seals, judged at signing time, against the real embedded system: the seal route alone; a seal
 * suspended after signing still verifies; a signature claiming a time when the seal was suspended
 * is SEAL_NOT_ACTIVE_AT_SIGNING; a PKCS#7 seal; a seal cancelled before issuance refuses issuance
 * and leaves earlier licenses verified.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDigest } from '../../domain/digest';
import { SealKeyring } from '../../gateway/seal-keyring';
import { signWithSeal } from '../../seal';
import { sealPicturePng } from '../../system/demo-seals';
import { TYPE_B, checkOf, licenseInputA, startVerifierSystem, tampered } from './support';

const SEAL_A = 'AgencyAMSP.seal-1';
const SEAL_B = 'AgencyBMSP.seal-1';

/** A license request for agency B's demo type (a construction worker's certificate). */
function licenseInputB(n: number): Record<string, unknown> {
  return {
    typeCode: TYPE_B.typeCode,
    number: `建安特${String(n).padStart(8, '0')}`,
    holder: { name: `张三${n}`, codeType: '111', code: '11010519491231002X' },
    issuedOn: '2025-02-03',
    validFrom: '2025-02-03',
    validUntil: '2031-02-02',
    areaCode: '310000',
    fields: { 操作类别: '建筑电工' },
  };
}

t.test('seal verification', async (t) => {
  const sys = await startVerifierSystem(t);
  const keyring = await SealKeyring.open(sys.ts.dataDir);
  const sealA = keyring.get(SEAL_A);
  if (!sealA?.signer) throw new Error('the demo seal of agency A and its signer must be in the keyring');

  const sealStatus = async (sealId: string, action: string, who: 'issuerA' | 'issuerB' | 'admin'): Promise<void> => {
    const res = await sys.call('gateway', 'POST', `/v1/seals/${sealId}/status`, { action, reason: `test: ${action}` }, who);
    t.equal(res.status, 200, `${action} ${sealId}`, { body: res.body });
  };
  const verifySeal = (body: Record<string, unknown>) => sys.call('verifier', 'POST', '/v1/verify/seal', body);

  t.test('the seal route: library steps, then the ledger registration and state at signing', async (t) => {
    const issued = await sys.issue(t);
    const res = await verifySeal({ signature: issued.document.seal.signature, digest: issued.digest });
    t.equal(res.status, 200, 'answered', { body: res.body });
    t.equal(res.body.verified, true);
    t.equal(res.body.format, 'GBT38540');
    t.equal(res.body.sealId, SEAL_A, 'the seal id is read from the seal itself (esID)');
    t.same(
      res.body.checks.map((c: { name: string }) => c.name),
      ['SIGNATURE', 'SIGNER_IN_SEAL', 'SEAL_SIGNATURE', 'MAKER_CHAIN', 'SIGNER_CHAIN', 'SEAL_VALIDITY', 'DIGEST', 'LEDGER_REGISTERED', 'ACTIVE_AT_SIGNING'],
    );
    for (const c of res.body.checks) t.match(c.message, /\p{Script=Han}/u, `${c.name} in Chinese too`);

    const other = await verifySeal({ signature: issued.document.seal.signature, content: Buffer.from('某份其他文件').toString('base64') });
    t.equal(other.body.verified, false);
    t.equal(other.body.checks.find((c: { name: string }) => c.name === 'DIGEST').code, 'DIGEST_MISMATCH');

    const unknown = await verifySeal({ signature: issued.document.seal.signature, digest: issued.digest, sealId: 'no-such-seal' });
    t.equal(unknown.body.verified, false);
    t.equal(unknown.body.checks.find((c: { name: string }) => c.name === 'LEDGER_REGISTERED').code, 'SEAL_NOT_REGISTERED');

    const garbage = await verifySeal({ signature: Buffer.from('garbage bytes').toString('base64'), digest: issued.digest });
    t.equal(garbage.status, 400);
    t.equal(garbage.body.code, 'SEAL_MALFORMED');
    const both = await verifySeal({ signature: issued.document.seal.signature, digest: issued.digest, content: 'AAAA' });
    t.equal(both.status, 400, 'content and digest together are refused');
  });

  t.test('a seal suspended after signing: earlier licenses still verify; a backdated signature does not', async (t) => {
    const before = await sys.issue(t);
    await sealStatus(SEAL_A, 'suspend', 'issuerA');
    const suspendedAt = Date.now();

    const refused = await sys.call('gateway', 'POST', '/v1/licenses', licenseInputA(), 'issuerA');
    t.equal(refused.status, 403, 'no issuance while the seal is suspended');
    t.equal(refused.body.code, 'SEAL_NOT_AUTHORIZED');

    const res = await sys.verify(before.document);
    t.equal(res.body.verified, true, 'active at signing time: still verified');
    t.equal(checkOf(res.body, 'seal').detail.statusNow, 'SUSPENDED', 'the current state is shown');

    // A signature made with the real key, claiming a time inside the suspension.
    await sleep(2600);
    await sealStatus(SEAL_A, 'resume', 'issuerA');
    const during = new Date(Math.ceil(suspendedAt / 1000) * 1000);
    const forged = await signWithSeal({
      seal: sealA.sealBytes,
      signer: sealA.signer!,
      digest: Buffer.from(parseDigest(before.digest).hex, 'hex'),
      propertyInfo: before.identifier,
      signingTime: during,
    });
    const backdated = tampered(before.document, (d) => {
      d.seal.signature = Buffer.from(forged).toString('base64');
    });
    const late = await sys.verify(backdated);
    t.equal(late.body.verified, false);
    t.equal(late.body.code, 'SEAL_NOT_ACTIVE_AT_SIGNING');
    t.equal(checkOf(late.body, 'seal').detail.statusAtSigning, 'SUSPENDED');
    const alone = await verifySeal({ signature: Buffer.from(forged).toString('base64'), digest: before.digest });
    t.equal(alone.body.checks.find((c: { name: string }) => c.name === 'ACTIVE_AT_SIGNING').code, 'SEAL_NOT_ACTIVE_AT_SIGNING');

    t.equal((await sys.verify(before.document)).body.verified, true, 'the genuine signature still verifies after resume');
    t.equal((await sys.issue(t)).identifier.length > 0, true, 'issuance works again');
  });

  let n = 1;
  t.test('a PKCS#7 seal: registered, approved, authorised, used, verified', async (t) => {
    const applied = await sys.call(
      'gateway',
      'POST',
      '/v1/seals',
      {
        sealId: 'AgencyBMSP.pkcs7-1',
        name: '上海市住房和城乡建设管理委员会证照专用章（RSA）',
        kind: '业务专用章',
        format: 'PKCS7',
        validStart: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        validEnd: new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        picture: Buffer.from(sealPicturePng(48)).toString('base64'),
      },
      'issuerB',
    );
    t.equal(applied.status, 201, 'applied', { body: applied.body });
    t.equal((await sys.call('gateway', 'POST', '/v1/seals/AgencyBMSP.pkcs7-1/approve', undefined, 'admin')).status, 200);
    const issuerB = sys.ts.system.principals.principals.find((p) => p.name === 'issuerB')!;
    const auth = await sys.call(
      'gateway',
      'POST',
      '/v1/seals/AgencyBMSP.pkcs7-1/authorizations',
      { subject: issuerB.identityId, notBefore: new Date().toISOString(), notAfter: new Date(Date.now() + 86_400_000).toISOString() },
      'issuerB',
    );
    t.equal(auth.status, 201, 'authorised', { body: auth.body });

    const issued = await sys.issue(t, licenseInputB(n++), 'issuerB');
    t.equal(issued.document.seal.format, 'PKCS7', 'the newest usable seal signs');
    const res = await sys.verify(issued.document);
    t.equal(res.body.verified, true, 'verified', { checks: res.body.checks });
    t.equal(checkOf(res.body, 'seal').detail.format, 'PKCS7');
    const alone = await verifySeal({ signature: issued.document.seal.signature, digest: issued.digest, sealId: 'AgencyBMSP.pkcs7-1' });
    t.equal(alone.body.verified, true, 'the seal route agrees', { checks: alone.body.checks });
  });

  t.test('a seal cancelled before issuance refuses issuance; licenses sealed before stay verified', async (t) => {
    const earlier = await sys.issue(t, licenseInputB(n++), 'issuerB');
    await sealStatus('AgencyBMSP.pkcs7-1', 'cancel', 'issuerB');
    await sealStatus(SEAL_B, 'cancel', 'admin');
    const refused = await sys.call('gateway', 'POST', '/v1/licenses', licenseInputB(n++), 'issuerB');
    t.equal(refused.status, 403);
    t.equal(refused.body.code, 'SEAL_NOT_AUTHORIZED');
    const res = await sys.verify(earlier.document);
    t.equal(res.body.verified, true, 'judged by the state at signing time');
    t.equal(checkOf(res.body, 'seal').detail.statusNow, 'CANCELLED');
  });
});
