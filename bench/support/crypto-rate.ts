/**
 * Raw cryptography rates on every core: one worker thread per core runs the same primitive the
 * services use, all starting together, for a fixed time; the rates are summed. This is the
 * baseline the HTTP figures are set against.
 *
 * - `sm2-sign`: `sm2Sign` over a fixed 32-byte digest (what a software seal signer does per license)
 * - `ses-sign`: `signWithSeal` on a fixed digest — the whole GB/T 38540 signature as issuance makes
 *   it (TBS encoding, the SM2 signature, and the library's own check of it)
 * - `sm2-verify`: `sm2Verify` with the key given as bytes, i.e. through the library's key cache,
 *   the way seal verification calls it
 * - `ses-verify`: `verifySealSignature` — the whole seal check of one presented license (signature,
 *   seal maker's signature, both certificate chains)
 * - `ses-verify-cached`: the same over distinct documents sealed with one seal, with a
 *   `SealVerifyCache` as the verifier's threads keep one: one SM2 verification per document
 *
 * and {@link sm3Throughput}: `crypto.createHash('sm3')` over given bytes in 64 KiB updates (the
 * chunk size of an upload stream), on the calling thread — hashing a stream is sequential.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createRootCa, issueCertificate } from '../../seal/certificates';
import { makeSeal } from '../../seal/seal-maker';
import { signWithSeal } from '../../seal/ses-signature';
import { newSoftwareSigner } from '../../seal/signer';
import { generateSm2KeyPair, sm2Sign, sm2Verify } from '../../seal/sm2';
import { verifySealSignature } from '../../seal/verify';
import { SealVerifyCache } from '../../seal/verify-cache';

export type CryptoOp = 'sm2-sign' | 'ses-sign' | 'sm2-verify' | 'ses-verify' | 'ses-verify-cached';

interface Job {
  readonly op: CryptoOp;
  readonly ms: number;
}

const DIGEST = createHash('sm3').update('licensechain bench: a fixed document').digest();

async function sealFixture(): Promise<{ seal: Uint8Array; signer: ReturnType<typeof newSoftwareSigner>; roots: Uint8Array[] }> {
  const ca = createRootCa('SM2', { subject: { commonName: 'Bench seal CA' } });
  const maker = issueCertificate(ca, 'maker', { subject: { commonName: 'Bench seal maker' } });
  const signer = issueCertificate(ca, 'signer', { subject: { commonName: 'Bench seal signer' } });
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(2000)]);
  const seal = await makeSeal({
    maker: newSoftwareSigner(maker.certificate, maker.privateKey),
    name: 'Bench seal',
    signerCertificates: [signer.certificate],
    validStart: new Date(Date.now() - 86_400_000),
    validEnd: new Date(Date.now() + 86_400_000),
    picture: { data: png, widthMm: 40, heightMm: 40 },
  });
  return { seal, signer: newSoftwareSigner(signer.certificate, signer.privateKey), roots: [ca.certificate] };
}

/** Builds the operation once, then returns one unit of work. */
async function prepare(op: CryptoOp): Promise<() => unknown> {
  switch (op) {
    case 'sm2-sign': {
      const k = generateSm2KeyPair();
      return () => sm2Sign(DIGEST, k.privateKey, { publicKey: k.publicKey });
    }
    case 'sm2-verify': {
      const k = generateSm2KeyPair();
      const signature = sm2Sign(DIGEST, k.privateKey, { publicKey: k.publicKey });
      return () => {
        if (!sm2Verify(DIGEST, signature, k.publicKey)) throw new Error('verify failed');
      };
    }
    case 'ses-sign': {
      const { seal, signer } = await sealFixture();
      return () => signWithSeal({ seal, signer, digest: DIGEST, propertyInfo: 'BENCH' });
    }
    case 'ses-verify': {
      const { seal, signer, roots } = await sealFixture();
      const signature = await signWithSeal({ seal, signer, digest: DIGEST, propertyInfo: 'BENCH' });
      return () => {
        if (!verifySealSignature({ signature, digest: DIGEST, trustedRoots: roots }).ok) throw new Error('verify failed');
      };
    }
    case 'ses-verify-cached': {
      const { seal, signer, roots } = await sealFixture();
      const documents = await Promise.all(
        Array.from({ length: 256 }, async (_, i) => {
          const digest = createHash('sm3').update(`licensechain bench: document ${i}`).digest();
          return { digest, signature: await signWithSeal({ seal, signer, digest, propertyInfo: 'BENCH' }) };
        }),
      );
      const cache = new SealVerifyCache();
      let next = 0;
      return () => {
        const { digest, signature } = documents[next++ % documents.length] as (typeof documents)[number];
        if (!verifySealSignature({ signature, digest, trustedRoots: roots, cache }).ok) throw new Error('verify failed');
      };
    }
  }
}

async function workerMain(job: Job): Promise<void> {
  const unit = await prepare(job.op);
  for (let i = 0; i < 20; i++) await unit();
  // All workers start counting together.
  parentPort?.postMessage({ ready: true });
  await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));
  let count = 0;
  const start = performance.now();
  const end = start + job.ms;
  while (performance.now() < end) {
    await unit();
    count++;
  }
  parentPort?.postMessage({ rate: (count * 1000) / (performance.now() - start) });
}

/** Operations per second of `op` summed over `threads` worker threads (default: one per core). */
export async function cryptoRate(op: CryptoOp, ms: number, threads = availableParallelism()): Promise<{ total: number; perThread: number[] }> {
  const workers = Array.from({ length: threads }, () => new Worker(__filename, { workerData: { op, ms } satisfies Job }));
  try {
    const ready = workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    }));
    await Promise.all(ready);
    const rates = workers.map((w) => new Promise<number>((resolve, reject) => {
      w.once('message', (m: { rate: number }) => resolve(m.rate));
      w.once('error', reject);
    }));
    for (const w of workers) w.postMessage('go');
    const perThread = await Promise.all(rates);
    return { total: perThread.reduce((a, b) => a + b, 0), perThread };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** SM3 throughput (bytes/s) of `crypto.createHash('sm3')` over `buffers`, in 64 KiB updates, on this thread. */
export function sm3Throughput(buffers: readonly Uint8Array[], chunk = 64 * 1024): { bytesPerSecond: number; digests: string[] } {
  const started = performance.now();
  let bytes = 0;
  const digests = buffers.map((buffer) => {
    const hash = createHash('sm3');
    for (let i = 0; i < buffer.length; i += chunk) hash.update(buffer.subarray(i, Math.min(buffer.length, i + chunk)));
    bytes += buffer.length;
    return hash.digest('hex');
  });
  return { bytesPerSecond: (bytes * 1000) / (performance.now() - started), digests };
}

if (!isMainThread && (workerData as Job | undefined)?.op) {
  workerMain(workerData as Job).catch((error: unknown) => {
    throw error;
  });
}
