import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, type CliIo } from '../../seal/cli';
import { png, tempDir, writeTemp } from './support';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => void stdout.push(s), err: (s) => void stderr.push(s) };
}

t.test('SM2: pki init, make, sign, verify, inspect', async (t) => {
  const dir = tempDir(t);
  const pki = join(dir, 'pki');
  const io = capture();
  t.equal(await run(['pki', 'init', '--out', pki, '--alg', 'sm2', '--org', '测试局', '--signers', '2'], io), 0, io.stderr.join('\n'));
  const files = readdirSync(pki).sort();
  t.same(files, ['ca.key.pem', 'ca.pem', 'maker.key.pem', 'maker.pem', 'signer-1.key.pem', 'signer-1.pem', 'signer-2.key.pem', 'signer-2.pem']);
  for (const f of files) t.equal(statSync(join(pki, f)).mode & 0o777, 0o600, `${f} is 0600`);

  const pngPath = writeTemp(dir, 'seal.png', png(8));
  const sealPath = join(dir, 'seal.der');
  const make = capture();
  const makeArgs = ['make', '--png', pngPath, '--maker', join(pki, 'maker.pem'), '--signer-cert', join(pki, 'signer-1.pem'),
    '--name', '测试局业务专用章', '--valid-from', new Date(Date.now() - 3600_000).toISOString(), '--valid-to', '2099-01-01T00:00:00Z', '--out', sealPath, '--es-id', 'CLI-1'];
  t.equal(await run(makeArgs, make), 0, make.stderr.join('\n'));
  t.match(make.stdout.join(''), /seal CLI-1/);
  t.equal(statSync(sealPath).mode & 0o777, 0o600);

  const docPath = writeTemp(dir, 'license.json', '{"id":"LIC-1"}');
  const sigPath = join(dir, 'license.sig');
  const sign = capture();
  t.equal(await run(['sign', '--cert', join(pki, 'signer-1.pem'), '--in', docPath, '--seal', sealPath, '--property-info', 'LIC-1', '--out', sigPath], sign), 0, sign.stderr.join('\n'));
  t.match(sign.stdout.join(''), /SES_Signature/);

  const verify = capture();
  t.equal(await run(['seal', 'verify', '--sig', sigPath, '--in', docPath, '--root', join(pki, 'ca.pem')], verify), 0, verify.stdout.join('\n'));
  t.match(verify.stdout.join('\n'), /VERIFIED \(GBT38540\)/);
  t.match(verify.stdout.join('\n'), /seal CLI-1/);

  const json = capture();
  t.equal(await run(['verify', '--sig', sigPath, '--in', docPath, '--root', join(pki, 'ca.pem'), '--json'], json), 0);
  const parsed = JSON.parse(json.stdout.join('')) as { ok: boolean; checks: { name: string }[]; facts: { seal: { esID: string } } };
  t.equal(parsed.ok, true);
  t.equal(parsed.checks.length, 7);
  t.equal(parsed.facts.seal.esID, 'CLI-1');

  const tampered = writeTemp(dir, 'tampered.json', '{"id":"LIC-2"}');
  const bad = capture();
  t.equal(await run(['verify', '--sig', sigPath, '--in', tampered, '--root', join(pki, 'ca.pem')], bad), 1, 'not verified → 1');
  t.match(bad.stdout.join('\n'), /FAIL DIGEST\s+DIGEST_MISMATCH/);

  const outsider = capture();
  t.equal(await run(['sign', '--cert', join(pki, 'signer-2.pem'), '--in', docPath, '--seal', sealPath, '--out', join(dir, 'x.sig')], outsider), 2);
  t.match(outsider.stderr.join(''), /\[SEAL_INVALID_ARGUMENT\].*not among/);

  const garbage = writeTemp(dir, 'garbage.sig', 'garbage');
  const malformed = capture();
  t.equal(await run(['verify', '--sig', garbage, '--in', docPath, '--root', join(pki, 'ca.pem')], malformed), 2);
  t.match(malformed.stderr.join(''), /\[SEAL_MALFORMED\]/);

  const inspect = capture();
  t.equal(await run(['inspect', '--seal', sealPath], inspect), 0);
  t.match(inspect.stdout.join(''), /"name": "测试局业务专用章"/);
  t.match(JSON.parse(inspect.stdout.join('')).sealDigest, /^[0-9a-f]{64}$/);
});

t.test('RSA: pki init, sign (PKCS#7), verify by digest', async (t) => {
  const dir = tempDir(t);
  const io = capture();
  t.equal(await run(['pki', 'init', '--out', dir, '--alg', 'rsa'], io), 0, io.stderr.join('\n'));
  t.same(readdirSync(dir).sort(), ['ca.key.pem', 'ca.pem', 'signer-1.key.pem', 'signer-1.pem']);
  const docPath = writeTemp(dir, 'doc.bin', 'document bytes');
  const sigPath = join(dir, 'doc.p7s');
  t.equal(await run(['sign', '--cert', join(dir, 'signer-1.pem'), '--in', docPath, '--out', sigPath], capture()), 0);
  const digest = (await import('node:crypto')).createHash('sm3').update(readFileSync(docPath)).digest('hex');
  const verify = capture();
  t.equal(await run(['verify', '--sig', sigPath, '--digest', digest, '--root', join(dir, 'ca.pem')], verify), 0, verify.stdout.join('\n'));
  t.match(verify.stdout.join('\n'), /VERIFIED \(PKCS7\)/);
});

t.test('usage errors exit 2', async (t) => {
  const io = capture();
  t.equal(await run([], io), 2);
  t.equal(await run(['frobnicate'], io), 2);
  t.equal(await run(['make', '--png', 'x.png'], io), 2);
  t.match(io.stderr.join('\n'), /unknown command/);
  t.match(io.stderr.join('\n'), /--maker is required/);
  t.equal(await run(['verify', '--sig', 'x', '--unknown'], io), 2);
  t.equal(await run(['help'], capture()), 0);
});
