/**
 * Secrets and personal data never leak: a full flow — licenses issued to a company and a citizen,
 * a material uploaded, granted, reused, a dispute raised, accepted, corrected with a new holder
 * name, holder look-ups, and refusals with wrong tokens, wrong roles and bad holder codes — runs
 * with the services logging at `trace` (the most verbose level the configuration allows) to a
 * file. Then the log, every error body returned, both services' `/metrics`, and every key and
 * value of the ledger's LevelDB (opened after the system closed) are searched for every bearer
 * token, every private key under the data folder (PEM lines and the raw scalar in hex, base64 and
 * bytes), the holder key, and every holder code and name the flow used. Zero hits.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Level } from 'level';
import t from 'tap';
import { DEMO_LICENSE_TYPES } from '../../system/demo-ledger';
import { type DemoPrincipalName, type TestResponse, startTestSystem } from '../support/system';
import { citizenHolder, companyHolder, licenseBody, pdf, upload, uploadForm } from './fixtures';

const TYPE_B = DEMO_LICENSE_TYPES.find((type) => type.issuers.includes('AgencyBMSP'))!;

interface Needle {
  readonly what: string;
  readonly bytes: Buffer;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Every private key under `dataDir`: its secret, the EC scalar (bytes, hex, base64, base64url),
 * and each PEM line that carries part of it. (A PKCS#8 EC key also embeds its public key, which
 * certificates on the ledger rightly carry: lines holding only public bytes are not needles.)
 */
function privateKeyNeedles(dataDir: string): Needle[] {
  const needles: Needle[] = [];
  for (const file of files(dataDir)) {
    if (file.includes(`${join(dataDir, 'ledger')}/`)) continue;
    const text = readFileSync(file).toString('latin1');
    for (const block of text.match(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g) ?? []) {
      const name = relative(dataDir, file);
      const lines = block.split(/\r?\n/).slice(1, -1).filter((l) => l.length > 0);
      // PKCS#8 EC (P-256 and SM2): ECPrivateKey { version 1, OCTET STRING (32) privateKey }.
      const der = Buffer.from(lines.join(''), 'base64');
      const at = der.indexOf(Buffer.from([0x02, 0x01, 0x01, 0x04, 0x20]));
      if (at < 0) {
        lines.forEach((line, i) => needles.push({ what: `private key ${name} line ${i + 1}`, bytes: Buffer.from(line) }));
      } else {
        const [from, to] = [Math.floor(((at + 5) * 4) / 3), Math.ceil(((at + 37) * 4) / 3)];
        let offset = 0;
        lines.forEach((line, i) => {
          if (offset < to && offset + line.length > from) needles.push({ what: `private key ${name} line ${i + 1}`, bytes: Buffer.from(line) });
          offset += line.length;
        });
        const scalar = der.subarray(at + 5, at + 37);
        needles.push(
          { what: `private key ${name} scalar (bytes)`, bytes: scalar },
          { what: `private key ${name} scalar (hex)`, bytes: Buffer.from(scalar.toString('hex')) },
          { what: `private key ${name} scalar (base64)`, bytes: Buffer.from(scalar.toString('base64').replace(/=+$/, '')) },
          { what: `private key ${name} scalar (base64url)`, bytes: Buffer.from(scalar.toString('base64url')) },
        );
      }
    }
  }
  return needles;
}

function hits(surface: string, haystack: Buffer, needles: readonly Needle[]): string[] {
  return needles.filter((n) => haystack.includes(n.bytes)).map((n) => `${n.what} in ${surface}`);
}

t.test('no secret or personal data in logs, error bodies, metrics or the ledger', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lc-secrets-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const logFile = join(dataDir, 'services.log');
  const log = createWriteStream(logFile);
  const ts = await startTestSystem({ dataDir, logger: { level: 'trace', stream: log } });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await ts.close();
  });

  const errorBodies: string[] = [];
  const call = async (method: string, path: string, options: { as?: DemoPrincipalName; body?: unknown; headers?: Record<string, string>; base?: string } = {}): Promise<TestResponse> => {
    const res = await ts.request(method, path, options);
    if (res.status >= 400) errorBodies.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
    return res;
  };
  const expectStatus = (res: TestResponse, status: number, what: string): void => {
    if (res.status !== status) t.fail(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  };

  // The personal data of this flow.
  const company = companyHolder();
  const companyName = `上海秘密餐饮有限公司${randomBytes(3).toString('hex')}`;
  const citizen = citizenHolder();
  const citizenName = `李秘密${randomBytes(2).toString('hex')}`;
  const correctedName = `李更正${randomBytes(2).toString('hex')}`;
  const owner = citizenHolder();
  const badCitizenCode = `${citizen.code.slice(0, 17)}${citizen.code.endsWith('0') ? '1' : '0'}`;
  const query = (h: { codeType: string; code: string }): string => `codeType=${h.codeType}&code=${encodeURIComponent(h.code)}`;

  await t.test('the flow', async () => {
    const licenseA = await call('POST', '/v1/licenses', { as: 'issuerA', body: licenseBody(company, companyName) });
    expectStatus(licenseA, 201, 'issue to a company');
    const licenseB = await call('POST', '/v1/licenses', {
      as: 'issuerB',
      body: { ...licenseBody(citizen, citizenName), typeCode: TYPE_B.typeCode, fields: { 操作类别: '建筑电工' } },
    });
    expectStatus(licenseB, 201, 'issue to a citizen');
    expectStatus(await call('GET', `/v1/holders/licenses?${query(citizen)}&purpose=${encodeURIComponent('资格核验')}`, { as: 'issuerB' }), 200, 'holder look-up');
    expectStatus(await call('POST', '/v1/verify/license', { base: ts.verifierUrl, body: { document: licenseB.body.document } }), 200, 'verify');

    const material = await upload(ts, 'portal', uploadForm(owner, pdf(), '身份证明'));
    expectStatus(material, 201, 'upload');
    const materialId = material.body.materialId as string;
    const granted = await call('POST', `/v1/materials/${materialId}/grants`, {
      as: 'portal',
      body: { holder: owner, grantee: 'VerifierMSP', purpose: '社保办理', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 2 },
    });
    expectStatus(granted, 201, 'grant');
    expectStatus(await call('POST', '/v1/reuse', { as: 'verifier', base: ts.verifierUrl, body: { materialId, grantId: granted.body.grantId, purpose: '社保办理' } }), 200, 'reuse');
    for (const feed of ['materials', 'grants', 'receipts', 'disputes']) expectStatus(await call('GET', `/v1/holders/${feed}?${query(owner)}`, { as: 'portal' }), 200, feed);

    const raised = await call('POST', '/v1/disputes', { as: 'portal', body: { subject: { kind: 'license', id: licenseB.body.identifier }, reason: '姓名有误', holder: citizen } });
    expectStatus(raised, 201, 'dispute');
    expectStatus(await call('POST', `/v1/disputes/${raised.body.disputeId}/accept`, { as: 'admin', body: { note: '受理' } }), 200, 'accept');
    const resolved = await call('POST', `/v1/disputes/${raised.body.disputeId}/resolve`, {
      as: 'issuerB',
      body: { outcome: 'corrected', note: '姓名更正', changes: { holder: { name: correctedName, ...citizen } } },
    });
    expectStatus(resolved, 200, 'resolve corrected');
    expectStatus(await call('DELETE', `/v1/grants/${granted.body.grantId}?${query(owner)}`, { as: 'portal' }), 200, 'revoke the grant');

    // Refusals: wrong tokens, wrong roles, bad holder codes — each carrying personal data.
    for (const token of Object.values(ts.tokens)) {
      const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      expectStatus(await call('GET', `/v1/holders/materials?${query(owner)}`, { headers: { authorization: `Bearer ${wrong}` } }), 401, 'a wrong token');
      expectStatus(await call('POST', '/v1/licenses', { headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` }, body: licenseBody(citizen, citizenName) }), 401, 'basic auth');
      expectStatus(await call('GET', `/v1/holders/licenses?${query(company)}&purpose=x`, { base: ts.gatewayUrl, headers: { authorization: `Bearer ${token} ${token}` } }), 401, 'a doubled token');
    }
    expectStatus(await call('GET', `/v1/holders/licenses?${query(citizen)}&purpose=x`, { as: 'verifier' }), 403, 'a role that may not look holders up');
    expectStatus(await call('POST', '/v1/licenses', { as: 'auditor', body: licenseBody(citizen, citizenName) }), 403, 'a role that may not issue');
    expectStatus(await call('POST', '/v1/licenses', { as: 'issuerB', body: { ...licenseBody({ codeType: '111', code: badCitizenCode }, citizenName), typeCode: TYPE_B.typeCode, fields: { 操作类别: '电工' } } }), 400, 'a bad holder code');
    expectStatus(await call('GET', `/v1/holders/grants?codeType=111&code=${badCitizenCode}`, { as: 'portal' }), 400, 'a bad holder code in a query');
    const badUpload = await upload(ts, 'portal', uploadForm({ codeType: '111', code: badCitizenCode }, pdf()));
    errorBodies.push(JSON.stringify(badUpload.body));
    expectStatus(badUpload, 400, 'a bad holder code in an upload');
    expectStatus(await call('POST', `/v1/materials/${materialId}/grants`, { as: 'issuerA', body: { holder: owner, grantee: 'VerifierMSP', purpose: 'x', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), maxUses: 1 } }), 403, 'a grant by the wrong role');
    expectStatus(await call('POST', '/v1/disputes', { as: 'verifier', body: { subject: { kind: 'license', id: licenseA.body.identifier }, reason: '有误', holder: company } }), 403, 'a holder named by a verifier');
  });

  const metrics = [await fetch(`${ts.gatewayUrl}/metrics`).then((r) => r.text()), await fetch(`${ts.verifierUrl}/metrics`).then((r) => r.text())];
  const needles: Needle[] = [
    ...Object.entries(ts.tokens).map(([name, token]) => ({ what: `token of ${name}`, bytes: Buffer.from(token) })),
    ...privateKeyNeedles(dataDir),
    { what: 'holder key (bytes)', bytes: ts.system.demo.holderKey },
    { what: 'holder key (hex)', bytes: Buffer.from(ts.system.demo.holderKey.toString('hex')) },
    { what: 'holder key (base64)', bytes: Buffer.from(ts.system.demo.holderKey.toString('base64').replace(/=+$/, '')) },
    ...[company.code, citizen.code, owner.code, badCitizenCode].map((code) => ({ what: `holder code ${code}`, bytes: Buffer.from(code) })),
    ...[companyName, citizenName, correctedName].map((name) => ({ what: `holder name ${name}`, bytes: Buffer.from(name) })),
  ];
  t.ok(needles.filter((n) => / scalar \(hex\)$/.test(n.what)).length >= 30, `${needles.length} needles, every private key among them`);

  closed = true;
  await ts.close();
  await new Promise<void>((resolve) => log.end(resolve));
  const logText = readFileSync(logFile);
  t.ok(logText.length > 10_000, `the log was written (${logText.length} bytes)`);
  t.ok(errorBodies.length >= 25, `${errorBodies.length} error bodies`);

  const found: string[] = [...hits('the log', logText, needles), ...hits('error bodies', Buffer.from(errorBodies.join('\n')), needles), ...metrics.flatMap((m, i) => hits(`${['gateway', 'verifier'][i]} /metrics`, Buffer.from(m), needles))];
  const ledger = new Level<Buffer, Buffer>(join(dataDir, 'ledger'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await ledger.open();
  let entries = 0;
  try {
    for await (const [key, value] of ledger.iterator()) {
      entries += 1;
      found.push(...hits('a ledger key', key, needles), ...hits('a ledger value', value, needles));
    }
  } finally {
    await ledger.close();
  }
  t.ok(entries > 100, `${entries} ledger entries searched`);
  // The blocks themselves (every transaction's proposal, arguments, results and events) are in the block files.
  const blockFiles = files(join(dataDir, 'ledger', 'blocks'));
  t.ok(blockFiles.length >= 1, `${blockFiles.length} block file(s) searched`);
  for (const file of blockFiles) found.push(...hits(`block file ${relative(dataDir, file)}`, readFileSync(file), needles));
  t.same([...new Set(found)], [], 'zero hits');
});
