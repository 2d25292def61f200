/**
 * Issuance reuses the ledger's answers about seal, organisation and type for a few seconds, but a
 * change within that window is never hidden: the chaincode refuses at submit, the cached answers
 * are dropped, the issuance is tried once more with fresh ones, and the next one sees the change.
 * Also: a seal signer that fails answers UPSTREAM_UNAVAILABLE, and the gateway keeps working.
 */
import t from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { demoSealId } from '../../system/demo-seals';
import { startTestSystem } from '../support/system';

const TYPE_A = DEMO_LICENSE_TYPES[0]!.typeCode;

let counter = 0;
function licenseA(): Record<string, unknown> {
  const body = `91310000MA1G${String(++counter).padStart(5, '0')}`;
  return {
    typeCode: TYPE_A,
    number: `沪食经新鲜${String(counter).padStart(6, '0')}`,
    holder: { name: '上海某某餐饮有限公司', codeType: '001', code: `${body}${usccCheckCharacter(body)}` },
    issuedOn: '2025-03-01',
    validFrom: '2025-03-01',
    validUntil: '2030-02-28',
    areaCode: '310101',
    fields: { 经营场所: '上海市黄浦区南京东路1号', 主体业态: '餐饮服务经营者' },
  };
}

t.test('a seal suspended, then resumed, within the cache window', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const seal = `/v1/seals/${demoSealId('AgencyAMSP')}/status`;
  t.equal((await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() })).status, 201, 'the seal is now cached');

  t.equal((await ts.request('POST', seal, { as: 'admin', body: { action: 'suspend', reason: '停用' } })).body.status, 'SUSPENDED');
  const refused = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
  t.equal(refused.status, 403, 'refused, though the cached answer said the seal was usable');
  t.equal(refused.body.code, 'SEAL_NOT_AUTHORIZED');

  t.equal((await ts.request('POST', seal, { as: 'admin', body: { action: 'resume', reason: '恢复' } })).body.status, 'ACTIVE');
  const issued = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
  t.equal(issued.status, 201, 'the refusal was not kept: issued at once');
});

t.test('a failing seal signer: UPSTREAM_UNAVAILABLE, then signing resumes', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const seal = ts.system.gateway.lc.keyring.get(demoSealId('AgencyAMSP'));
  t.ok(seal?.signer?.checksOwnSignatures, 'the keyring signs on the signer pool');
  const signer = seal!.signer!;
  const sign = signer.sign.bind(signer);
  let failing = true;
  (signer as { sign: (tbs: Uint8Array) => Promise<Uint8Array> }).sign = async (tbs) => {
    if (failing) throw new Error('signer thread 0 stopped (exit code 1)');
    return sign(tbs);
  };
  const failed = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() });
  t.equal(failed.status, 502);
  t.equal(failed.body.code, 'UPSTREAM_UNAVAILABLE');
  t.notMatch(failed.body.detail, /exit code/, 'internals stay in the log');
  failing = false;
  t.equal((await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: licenseA() })).status, 201);
});
