/**
 * Seal cryptography throughput: SM2 sign / verify (sm-crypto-v2, verify with a precomputed public
 * key) next to Node's native ECDSA P-256 in the same run, and a full GB/T 38540 SES_Signature
 * sign + verify. Each figure is measured on one worker thread, then on one per core.
 *
 *   npx tsc -p tsconfig.json && node build/bench/seal-crypto.js [seconds-per-measurement]
 */
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createRootCa, issueCertificate } from '../seal/certificates';
import { makeSeal } from '../seal/seal-maker';
import { signWithSeal } from '../seal/ses-signature';
import { newSoftwareSigner } from '../seal/signer';
import { generateSm2KeyPair, prepareSm2PublicKey, sm2Sign, sm2Verify } from '../seal/sm2';
import { verifySealSignature } from '../seal/verify';

type Op = 'sm2-sign' | 'sm2-verify' | 'p256-sign' | 'p256-verify' | 'ses';

const OPS: ReadonlyArray<readonly [Op, string]> = [
  ['sm2-sign', 'SM2 sign (sm-crypto-v2)'],
  ['sm2-verify', 'SM2 verify (precomputed key)'],
  ['p256-sign', 'ECDSA P-256 sign (Node native)'],
  ['p256-verify', 'ECDSA P-256 verify (Node native)'],
  ['ses', 'SES_Signature sign + verify'],
];

interface Job {
  readonly op: Op;
  readonly ms: number;
}

/** Builds the operation once (keys, seal), then returns a function doing one unit of work. */
async function prepare(op: Op): Promise<() => Promise<void> | void> {
  const message = new Uint8Array(256).map((_, i) => i);
  switch (op) {
    case 'sm2-sign': {
      const k = generateSm2KeyPair();
      return () => void sm2Sign(message, k.privateKey, { publicKey: k.publicKey });
    }
    case 'sm2-verify': {
      const k = generateSm2KeyPair();
      const sig = sm2Sign(message, k.privateKey);
      const prepared = prepareSm2PublicKey(k.publicKey);
      return () => {
        if (!sm2Verify(message, sig, prepared)) throw new Error('verify failed');
      };
    }
    case 'p256-sign': {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return () => void nodeSign('sha256', message, privateKey);
    }
    case 'p256-verify': {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as { privateKey: KeyObject; publicKey: KeyObject };
      const sig = nodeSign('sha256', message, privateKey);
      return () => {
        if (!nodeVerify('sha256', message, publicKey, sig)) throw new Error('verify failed');
      };
    }
    case 'ses': {
      const ca = createRootCa('SM2', { subject: { commonName: 'Bench CA' } });
      const maker = issueCertificate(ca, 'maker', { subject: { commonName: 'Bench maker' } });
      const signer = issueCertificate(ca, 'signer', { subject: { commonName: 'Bench signer' } });
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(2000)]);
      const seal = await makeSeal({
        maker: newSoftwareSigner(maker.certificate, maker.privateKey),
        name: 'Bench seal',
        signerCertificates: [signer.certificate],
        validStart: new Date(Date.now() - 86_400_000),
        validEnd: new Date(Date.now() + 86_400_000),
        picture: { data: png, widthMm: 40, heightMm: 40 },
      });
      const s = newSoftwareSigner(signer.certificate, signer.privateKey);
      const roots = [ca.certificate];
      return async () => {
        const signature = await signWithSeal({ seal, signer: s, content: message, propertyInfo: 'BENCH' });
        if (!verifySealSignature({ signature, content: message, trustedRoots: roots }).ok) throw new Error('verify failed');
      };
    }
  }
}

/** Worker body: warm up, then count operations for `ms`. */
async function measure(job: Job): Promise<number> {
  const unit = await prepare(job.op);
  for (let i = 0; i < 20; i++) await unit();
  let count = 0;
  const start = performance.now();
  const end = start + job.ms;
  while (performance.now() < end) {
    await unit();
    count++;
  }
  return (count * 1000) / (performance.now() - start);
}

function inWorkers(job: Job, threads: number): Promise<number> {
  const runs = Array.from(
    { length: threads },
    () =>
      new Promise<number>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: job });
        worker.once('message', (rate: number) => resolve(rate));
        worker.once('error', reject);
      }),
  );
  return Promise.all(runs).then((rates) => rates.reduce((a, b) => a + b, 0));
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 2);
  const cores = availableParallelism();
  const ms = Math.max(200, seconds * 1000);
  console.log(`seal-crypto: Node ${process.version}, ${cores} core(s), ${ms} ms per measurement\n`);
  console.log(`${'operation'.padEnd(36)}${'1 thread /s'.padStart(14)}${`${cores} threads /s`.padStart(16)}`);
  for (const [op, label] of OPS) {
    const one = await inWorkers({ op, ms }, 1);
    const all = await inWorkers({ op, ms }, cores);
    console.log(`${label.padEnd(36)}${one.toFixed(0).padStart(14)}${all.toFixed(0).padStart(16)}`);
  }
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  measure(workerData as Job).then(
    (rate) => parentPort?.postMessage(rate),
    (error: unknown) => {
      throw error;
    },
  );
}
