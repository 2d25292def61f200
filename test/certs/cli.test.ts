import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { run } from '../../certs/cli';
import { parseCertificate } from '../../certs/certificate-info';
import { loadCredentials } from '../../certs/msp-layout';
import { tempDir } from './support';

const execFileAsync = promisify(execFile);
const MAIN = path.join(__dirname, '..', '..', 'certs', 'main.js');

/** Runs the CLI in-process and captures what it prints. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

const SPEC = {
  organisations: [{ mspId: 'Org1MSP', name: 'Org One', identities: [{ name: 'issuer1', role: 'issuer' }], peers: ['peer0.org1'] }],
};

t.test('certs consortium: creates, then reuses', async (t) => {
  const dir = await tempDir(t);
  const specFile = path.join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(SPEC));
  const out = path.join(dir, 'crypto');
  const first = await cli(['certs', 'consortium', '--out', out, '--spec', specFile]);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /created .*organizations\/Org1MSP\/users\/issuer1/);
  t.match(first.out, 'Org1MSP "Org One": issuer1 (client, issuer), peer0.org1 (peer)');
  const creds = await loadCredentials(path.join(out, 'organizations', 'Org1MSP', 'users', 'issuer1', 'msp'));
  t.equal(parseCertificate(creds.certificate).attrs['lc.role'], 'issuer');
  const second = await cli(['consortium', '--out', out, '--spec', specFile]);
  t.equal(second.code, 0);
  t.notMatch(second.out, 'created');
  t.match(second.out, 'everything reused');
});

t.test('certs identity: issues into a new MSP + TLS folder from a consortium CA', async (t) => {
  const dir = await tempDir(t);
  const specFile = path.join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(SPEC));
  const crypto = path.join(dir, 'crypto');
  t.equal((await cli(['consortium', '--out', crypto, '--spec', specFile])).code, 0);
  const caDir = path.join(crypto, 'organizations', 'Org1MSP', 'ca');
  const out = path.join(dir, 'bob');
  const r = await cli(['identity', '--ca-dir', caDir, '--name', 'bob', '--role', 'verifier', '--attr', 'lc.unit=permits', '--out', out]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, `wrote ${path.join(out, 'msp', 'signcerts', 'cert.pem')}`);
  t.match(r.out, `wrote ${path.join(out, 'tls', 'client.crt')}`);
  const creds = await loadCredentials(path.join(out, 'msp'), 'Org1MSP');
  const info = parseCertificate(creds.certificate);
  t.same([info.commonName, info.nodeOU, info.attrs['lc.role'], info.attrs['lc.unit']], ['bob', 'client', 'verifier', 'permits']);
  t.equal((await stat(path.join(out, 'msp', 'keystore', 'priv_sk'))).mode & 0o777, 0o600);
  t.equal(await readFile(path.join(out, 'msp', 'cacerts', 'ca.org1-cert.pem'), 'utf8'), await readFile(path.join(caDir, 'ca.org1-cert.pem'), 'utf8'));

  const again = await cli(['identity', '--ca-dir', caDir, '--name', 'bob', '--out', out]);
  t.equal(again.code, 1, 'refuses to overwrite');
  t.match(again.err, 'already exists');
  const elsewhere = path.join(dir, 'lonely-ca');
  const noMsp = await cli(['identity', '--ca-dir', elsewhere, '--name', 'x', '--out', path.join(dir, 'x')]);
  t.equal(noMsp.code, 1);
  t.match(noMsp.err, 'CERTS_INVALID_ARGUMENT');
});

t.test('usage errors exit 2, failures exit 1', async (t) => {
  const dir = await tempDir(t);
  t.equal((await cli([])).code, 2);
  t.equal((await cli(['help'])).code, 0);
  const unknown = await cli(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, 'unknown command');
  const missing = await cli(['consortium', '--out', dir]);
  t.equal(missing.code, 2);
  t.match(missing.err, '--spec is required');
  t.equal((await cli(['consortium', '--out', dir, '--spec', 'x', '--bogus'])).code, 2);
  const badSpec = path.join(dir, 'bad.json');
  await writeFile(badSpec, '{ not json');
  const bad = await cli(['consortium', '--out', dir, '--spec', badSpec]);
  t.equal(bad.code, 1);
  t.match(bad.err, 'cannot read spec');
  await writeFile(badSpec, '{"organisations":[]}');
  t.match((await cli(['consortium', '--out', dir, '--spec', badSpec])).err, 'CERTS_INVALID_ARGUMENT');
  t.equal((await cli(['identity', '--ca-dir', dir, '--name', 'x', '--node-ou', 'boss', '--out', path.join(dir, 'o')])).code, 2);
});

t.test('the compiled entry point sets the exit code', async (t) => {
  const dir = await tempDir(t);
  const specFile = path.join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify({ organisations: [{ mspId: 'SoloMSP', name: 'Solo', identities: [{ name: 'a', role: 'auditor' }] }] }));
  const ok = await execFileAsync(process.execPath, [MAIN, 'consortium', '--out', path.join(dir, 'c'), '--spec', specFile], { cwd: dir });
  t.match(ok.stdout, 'SoloMSP "Solo": a (client, auditor)');
  await t.rejects(execFileAsync(process.execPath, [MAIN, 'identity'], { cwd: dir }), { code: 2 });
});
