/**
 * Seal signatures verified on worker threads (seal-worker-pool.ts) answer exactly what the same
 * verification on the calling thread answers — every outcome kind, many at once, each to its own
 * caller — a thread that dies fails only its own tasks and is replaced, and a closed pool refuses.
 * And `SealSignatures`: one verification for concurrent requests of one batch signature; the
 * seal-level cache in the threads never serves a tampered seal with the same esID.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodedError } from '../../domain/coded-error';
import { decodeSeal, encodeSeal, encodeSealInfo } from '../../seal/asn1';
import { createRootCa } from '../../seal/certificates';
import { documentDigest, signWithSeal } from '../../seal/ses-signature';
import { newSoftwareSigner } from '../../seal/signer';
import { SealSignatures, folderTrust, verifyOutcome, type ProtectedInput, type SignatureOutcome } from '../../verifier/seal-signatures';
import { SealWorkerPool } from '../../verifier/seal-worker-pool';
import { DAY, sealFor, sm2Pki } from '../seal/support';

const pki = sm2Pki('Pool Org');
const trust = { trustedRoots: [pki.ca.certificate] };
const signer = newSoftwareSigner(pki.signer.certificate, pki.signer.privateKey);
const digestOf = (text: string): Uint8Array => documentDigest(new TextEncoder().encode(text));

async function sign(seal: Uint8Array, text: string): Promise<{ signature: Uint8Array; input: ProtectedInput }> {
  const digest = digestOf(text);
  // A Buffer from the 8 KiB pool slab, as a base64 signature in a request body would be.
  const signature = Buffer.from(Buffer.from(await signWithSeal({ seal, signer, digest, propertyInfo: text })).toString('base64'), 'base64');
  return { signature, input: { digest } };
}

const stepCodes = (o: SignatureOutcome): unknown => (o.readable ? o.verification.checks.map((c) => c.code) : o.code);

t.test('the same answers as on the calling thread, each to its own caller', async (t) => {
  const pool = new SealWorkerPool({ size: 2 });
  t.teardown(() => pool.close());
  const seal = await sealFor(pki);
  const cases: Array<{ what: string; signature: Uint8Array; input: ProtectedInput }> = [];
  for (let i = 0; i < 12; i++) cases.push({ what: `document ${i}`, ...(await sign(seal, `document ${i}`)) });
  const good = cases[0] as (typeof cases)[number];
  cases.push({ what: 'another digest', signature: good.signature, input: { digest: digestOf('not the document') } });
  cases.push({ what: 'content instead of digest', signature: good.signature, input: { content: new TextEncoder().encode('document 0') } });
  cases.push({ what: 'garbage', signature: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x04]), input: { digest: digestOf('x') } });
  cases.push({ what: 'truncated', signature: good.signature.subarray(0, 100), input: { digest: digestOf('x') } });

  const answers = await Promise.all(cases.map((c) => pool.verify(trust, c.signature, c.input)));
  t.ok(pool.running >= 1 && pool.running <= 2, 'threads started on first use, at most the pool size');
  cases.forEach((c, i) => {
    t.same(answers[i], verifyOutcome(trust, c.signature, c.input, undefined), `${c.what}: as on the calling thread`);
  });
  t.same(stepCodes(answers[12] as SignatureOutcome), ['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'DIGEST_MISMATCH']);
  t.ok((answers[13] as SignatureOutcome).readable && (answers[13] as { verification: { ok: boolean } }).verification.ok, 'content is hashed in the thread');
  t.equal((answers[14] as SignatureOutcome).readable, false, 'unreadable bytes are an outcome, not an error');

  await t.rejects(pool.verify(trust, good.signature, { digest: new Uint8Array(5) }), { code: 'SEAL_INVALID_ARGUMENT' }, 'other seal errors come back as the same CodedError');
  const error = await pool.verify({ trustedRoots: [new Uint8Array([1, 2, 3])] }, good.signature, good.input).catch((e: unknown) => e);
  t.ok(error instanceof CodedError && error.code === 'SEAL_INVALID_ARGUMENT', 'an unreadable trusted root');
});

t.test('a thread that dies fails only its own tasks and is replaced; a closed pool refuses', async (t) => {
  const pool = new SealWorkerPool({ size: 2 });
  const seal = await sealFor(pki);
  const { signature, input } = await sign(seal, 'crash');
  const tasks = Array.from({ length: 20 }, () => pool.verify(trust, signature, input).then(() => 'ok', (e: Error) => e.message));
  await new Promise((resolve) => setImmediate(resolve)); // the batch is posted
  const [victim] = pool.threads;
  await victim?.terminate();
  const outcomes = await Promise.all(tasks);
  const failed = outcomes.filter((o) => o !== 'ok');
  t.ok(failed.length > 0 && failed.length < outcomes.length, `the dead thread's tasks failed (${failed.length}), the others' did not`);
  t.match(failed[0], /exited/);
  const after = await pool.verify(trust, signature, input);
  t.ok(after.readable && after.verification.ok, 'the next task runs on a new thread');
  const pending = t.rejects(pool.verify(trust, signature, input), /closed/, 'queued tasks are refused at close');
  await pool.close();
  await pending;
  await t.rejects(pool.verify(trust, signature, input), /closed/, 'and so are new ones');
});

t.test('SealSignatures: threads or not, the same outcome; one verification per batch signature; tampered seals not served from cache', async (t) => {
  const threaded = new SealSignatures({ trust: () => trust, workers: 2 });
  const inline = new SealSignatures({ trust: () => trust, workers: 0 });
  t.teardown(() => threaded.close());
  const seal = await sealFor(pki);
  const genuine = await sign(seal, 'genuine');
  for (const signatures of [threaded, inline]) {
    const outcome = await signatures.verify(genuine.signature, genuine.input);
    t.ok(outcome.readable && outcome.verification.ok, 'genuine seal verifies (and is now cached in the thread)');
  }

  const decoded = decodeSeal(seal);
  const info = decoded.sealInfo;
  const stretched = encodeSealInfo({ ...info, property: { ...info.property, validEnd: new Date(info.property.validEnd.getTime() + 3650 * DAY) } });
  const tampered = encodeSeal(stretched, decoded.cert, decoded.signAlgID, decoded.signedValue);
  const forged = await signWithSeal({ seal: tampered, signer, digest: digestOf('genuine'), propertyInfo: 'forged', unchecked: true });
  for (const [what, signatures] of [['threads', threaded], ['calling thread', inline]] as const) {
    // Many documents per thread, so both threads have the genuine seal cached before the forgery.
    await Promise.all(Array.from({ length: 8 }, async (_, i) => signatures.verify((await sign(seal, `warm ${i}`)).signature, { digest: digestOf(`warm ${i}`) })));
    const outcome = await signatures.verify(forged, genuine.input);
    t.ok(outcome.readable, what);
    if (!outcome.readable) continue;
    t.notOk(outcome.verification.ok, `${what}: a tampered seal with the same esID fails`);
    t.equal(outcome.verification.checks.find((c) => c.name === 'SEAL_SIGNATURE')?.code, 'SEAL_SIGNATURE_INVALID', `${what}: on the maker's signature`);
  }

  const batch = { content: new TextEncoder().encode('{"batchId":"b-1","root":"sm3:…"}') };
  const batchSignature = await signWithSeal({ seal, signer, content: batch.content, propertyInfo: 'batch' });
  const before = threaded.cached;
  const answers = await Promise.all(Array.from({ length: 10 }, () => threaded.verify(batchSignature, batch, true)));
  t.ok(answers.every((a) => a.readable && a.verification.ok), 'every concurrent request answered');
  t.ok(answers.every((a) => a === answers[0]), 'by one verification');
  t.equal(threaded.cached, before + 1, 'remembered once');
});

t.test('folderTrust reads the folder again only when it changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-trust-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let loads = 0;
  const source = folderTrust(dir, () => {
    loads += 1;
    return [new Uint8Array([loads])];
  });
  await source();
  await source();
  t.equal(loads, 2, 'within two seconds of the last change (coarse clocks): read every time');
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const settled = await source();
  t.equal(loads, 3, 'read once more after that');
  t.equal(await source(), settled, 'then an unchanged folder: the same trust object');
  t.equal(loads, 3, 'not read again');
  writeFileSync(join(dir, 'new-ca.pem'), 'x');
  t.not(await source(), settled, 'a new file in the folder: read again at once');
  t.equal(loads, 4);
  const missing = folderTrust(join(dir, 'absent'), () => []);
  t.same(await missing(), { trustedRoots: [] }, 'no folder: no roots');
});
