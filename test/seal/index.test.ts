import t from 'tap';
import * as seal from '../../seal';
import { check } from '../../seal/codes';

t.test('public surface', async (t) => {
  for (const name of ['createRootCa', 'issueCertificate', 'makeSeal', 'signWithSeal', 'signPkcs7', 'verifySealSignature', 'verifySeal', 'inspectSeal', 'newSoftwareSigner', 'sm2Sign', 'sm2Verify', 'importPrivateKeyPem', 'run', 'SealVerifyCache'] as const) {
    t.type(seal[name], 'function', name);
  }
});

t.test('code registry: stable names, one passing code', async (t) => {
  for (const [key, value] of Object.entries(seal.SEAL_STEPS)) t.equal(key, value);
  t.same(Object.keys(seal.SEAL_STEPS).sort(), ['DIGEST', 'MAKER_CHAIN', 'SEAL_SIGNATURE', 'SEAL_VALIDITY', 'SIGNATURE', 'SIGNER_CHAIN', 'SIGNER_IN_SEAL']);
  for (const code of Object.keys(seal.SEAL_CHECK_CODES) as seal.SealCheckCode[]) {
    const c = check('DIGEST', code);
    t.equal(c.ok, code === 'OK', code);
    t.match(code, /^[A-Z][A-Z_]+$/);
    t.ok(c.message.length > 0);
  }
  t.same(Object.keys(seal.SEAL_ERROR_CODES).sort(), ['SEAL_INVALID_ARGUMENT', 'SEAL_KEY_INVALID', 'SEAL_MALFORMED', 'SEAL_SIGNER_FAILED']);
});
