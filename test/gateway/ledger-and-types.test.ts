/**
 * Ledger routes (admin and auditor only, judged by the gateway) and the license-type routes of the
 * registry (fields schemas kept off-chain by digest) over real HTTP.
 */
import '../support/quiet';
import t from 'tap';
import { usccCheckCharacter } from '../../domain/holder-code';
import { fieldsSchemaDigest } from '../../gateway/fields-schema-store';
import { DEMO_LICENSE_TYPES, fieldsSchemaDigest as demoDigest } from '../../system/demo-ledger';
import { startTestSystem } from '../support/system';

const agencyA = '11310000002416284X';

t.test('ledger and license-type routes', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());

  t.test('ledger: info, blocks, transactions for admin and auditor only', async (t) => {
    for (const who of ['admin', 'auditor'] as const) {
      const info = await ts.request('GET', '/v1/ledger/info', { as: who });
      t.equal(info.status, 200);
      t.match(info.body, { height: Number, currentBlockHash: /^[0-9a-f]{64}$/ });
    }
    for (const who of ['issuerA', 'portal', 'verifier'] as const) {
      const refused = await ts.request('GET', '/v1/ledger/info', { as: who });
      t.equal(refused.status, 403, who);
      t.equal(refused.body.code, 'FORBIDDEN');
      t.equal((await ts.request('GET', '/v1/ledger/blocks/0', { as: who })).status, 403);
      t.equal((await ts.request('GET', '/v1/ledger/transactions/abc', { as: who })).status, 403);
    }
    t.equal((await ts.request('GET', '/v1/ledger/info')).status, 401);

    const genesis = await ts.request('GET', '/v1/ledger/blocks/0', { as: 'auditor' });
    t.equal(genesis.status, 200);
    t.equal(genesis.body.number, 0);
    const info = (await ts.request('GET', '/v1/ledger/info', { as: 'admin' })).body;
    const last = await ts.request('GET', `/v1/ledger/blocks/${info.height - 1}`, { as: 'admin' });
    t.equal(last.body.hash, info.currentBlockHash);
    const tx = last.body.transactions[0];
    const read = await ts.request('GET', `/v1/ledger/transactions/${tx.txId}`, { as: 'auditor' });
    t.equal(read.status, 200);
    t.match(read.body, { txId: tx.txId, blockNumber: info.height - 1, validation: 'VALID' });
    t.equal((await ts.request('GET', `/v1/ledger/blocks/${info.height + 100}`, { as: 'admin' })).body.code, 'NOT_FOUND');
    t.equal((await ts.request('GET', '/v1/ledger/blocks/x1', { as: 'admin' })).body.code, 'VALIDATION_FAILED');
    t.equal((await ts.request('GET', `/v1/ledger/transactions/${'0'.repeat(64)}`, { as: 'admin' })).body.code, 'NOT_FOUND');
  });

  t.test('license types: the demo types carry their schemas', async (t) => {
    const list = await ts.request('GET', '/v1/license-types', { as: 'issuerA' });
    t.equal(list.status, 200);
    for (const type of DEMO_LICENSE_TYPES) {
      const found = list.body.find((x: { typeCode: string }) => x.typeCode === type.typeCode);
      t.same(found.fieldsSchema, type.fieldsSchema, type.typeCode);
      t.equal(found.fieldsSchemaDigest, fieldsSchemaDigest(type.fieldsSchema));
      t.equal(fieldsSchemaDigest(type.fieldsSchema), demoDigest(type.fieldsSchema), 'the gateway and the demo registry digest alike');
    }
    const one = await ts.request('GET', `/v1/license-types/${DEMO_LICENSE_TYPES[1]!.typeCode}`, { as: 'verifier' });
    t.equal(one.status, 200);
    t.same(one.body.fieldsSchema, DEMO_LICENSE_TYPES[1]!.fieldsSchema);
    t.equal((await ts.request('GET', `/v1/license-types/${agencyA}999`, { as: 'verifier' })).status, 404);
    t.equal((await ts.request('GET', '/v1/license-types/short', { as: 'verifier' })).body.code, 'VALIDATION_FAILED');
  });

  t.test('license types: register with a schema, then issue against it', async (t) => {
    const fieldsSchema = {
      type: 'object',
      additionalProperties: false,
      required: ['许可范围'],
      properties: { 许可范围: { type: 'string', minLength: 1 }, 注册资本: { type: 'integer', minimum: 0 } },
    };
    const type = { typeCode: `${agencyA}002`, name: '药品经营许可证', definerCode: agencyA, holderCodeTypes: ['001'], issuers: ['AgencyAMSP'], fieldsSchema };
    const refused = await ts.request('POST', '/v1/license-types', { as: 'issuerA', body: type });
    t.equal(refused.status, 403);
    t.equal(refused.body.code, 'FORBIDDEN');
    const registered = await ts.request('POST', '/v1/license-types', { as: 'admin', body: type });
    t.equal(registered.status, 201, JSON.stringify(registered.body));
    t.match(registered.body, { typeCode: type.typeCode, fieldsSchemaDigest: fieldsSchemaDigest(fieldsSchema), txId: String, blockNumber: Number });
    t.same((await ts.request('GET', `/v1/license-types/${type.typeCode}`, { as: 'issuerA' })).body.fieldsSchema, fieldsSchema);
    const again = await ts.request('POST', '/v1/license-types', { as: 'admin', body: type });
    t.equal(again.status, 409);
    t.equal(again.body.code, 'CONFLICT');

    const holder = `91310000MA4D00001`;
    const license = {
      typeCode: type.typeCode,
      number: '沪药经001',
      holder: { name: '某某药房', codeType: '001', code: `${holder}${usccCheckCharacter(holder)}` },
      issuedOn: '2025-01-01',
      validFrom: '2025-01-01',
      validUntil: '2030-01-01',
      areaCode: '310000',
      fields: { 许可范围: '中成药', 注册资本: 100 },
    };
    t.equal((await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: license })).status, 201);
    const wrong = await ts.request('POST', '/v1/licenses', { as: 'issuerA', body: { ...license, number: '沪药经002', fields: { 许可范围: '中成药', 注册资本: '100' } } });
    t.equal(wrong.body.code, 'VALIDATION_FAILED');
    t.same(wrong.body.errors.map((e: { field: string }) => e.field), ['body/fields/注册资本']);

    // Schemas that cannot be used are refused before the ledger sees them.
    const bad = async (schema: unknown) => {
      const answer = await ts.request('POST', '/v1/license-types', { as: 'admin', body: { ...type, typeCode: `${agencyA}003`, fieldsSchema: schema } });
      t.equal(answer.status, 400);
      t.equal(answer.body.code, 'VALIDATION_FAILED', answer.body.detail);
    };
    await bad({ type: 'object', properties: { a: { type: 'strin' } } });
    await bad({ type: 'object', unknownKeyword: true });
    await bad({ type: 'array' });
    t.equal((await ts.request('GET', `/v1/license-types/${agencyA}003`, { as: 'admin' })).status, 404);
    const extra = await ts.request('POST', '/v1/license-types', { as: 'admin', body: { ...type, typeCode: `${agencyA}004`, active: true } });
    t.equal(extra.body.code, 'VALIDATION_FAILED');
  });
});
