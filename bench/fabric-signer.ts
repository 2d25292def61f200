/**
 * Proposal signing for Fabric: fabric-gateway's own signer (`signers.newPrivateKeySigner`, pure
 * JavaScript ECDSA from @noble/curves, after its default `hash.sha256`) next to ours
 * (`newNodeSigner`, certs/signer.ts: node:crypto SHA-256 + ECDSA P-256 on libuv's thread pool,
 * normalised to low-S, used with `hash.none`), on the same P-256 key and the same message, in
 * the same run. Each is measured one signature at a time (awaited) and with 64 in flight.
 *
 *   npx tsc -p . && node build/bench/fabric-signer.js [seconds-per-measurement=3] [message-bytes=2048]
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, signers } from '@hyperledger/fabric-gateway';
import { CertificateAuthority } from '../certs/certificate-authority';
import { isLowS, newNodeSigner, verifyNodeSignature } from '../certs/signer';

type Sign = (message: Uint8Array) => Promise<Uint8Array>;

async function rate(sign: Sign, message: Uint8Array, ms: number, inFlight: number): Promise<number> {
  for (let i = 0; i < 200; i++) await sign(message); // warm-up
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      await sign(message);
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (count * 1000) / (performance.now() - start);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const size = Number(process.argv[3] ?? 2048);
  const ms = Math.max(300, seconds * 1000);
  const ca = await CertificateAuthority.create({ mspId: 'BenchMSP', organisation: 'Bench' });
  const user = await ca.issueIdentity({ commonName: 'bench', attrs: {} });
  const message = randomBytes(size);

  // fabric-gateway's default path: hash.sha256 (connect's default), then its signer on the digest.
  const gatewaySigner = signers.newPrivateKeySigner(createPrivateKey(user.privateKey));
  const fabricGateway: Sign = (m) => gatewaySigner(hash.sha256(m));
  // Ours, as FabricLedger connects it: hash.none, the signer hashes and signs the whole message.
  const nodeSigner = newNodeSigner(user.privateKey);
  const ours: Sign = (m) => nodeSigner(hash.none(m));

  for (const [name, sign] of [['fabric-gateway', fabricGateway], ['node:crypto', ours]] as const) {
    const signature = await sign(message);
    if (!verifyNodeSignature(user.certificate, message, signature) || !isLowS(signature)) throw new Error(`${name}: not a valid low-S signature`);
  }

  console.log(`fabric-signer: Node ${process.version}, ${availableParallelism()} core(s), UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, ${size}-byte message, ${ms} ms per measurement`);
  console.log('both signers verified: same key, valid low-S ECDSA P-256 / SHA-256 signatures over the message\n');
  console.log(`${'signer'.padEnd(52)}${'1 at a time /s'.padStart(16)}${'64 in flight /s'.padStart(17)}`);
  const rows: Array<[string, number, number]> = [];
  for (const [label, sign] of [
    ['fabric-gateway signers.newPrivateKeySigner (noble)', fabricGateway],
    ['ours: newNodeSigner (node:crypto, low-S)', ours],
  ] as const) {
    const one = await rate(sign, message, ms, 1);
    const many = await rate(sign, message, ms, 64);
    rows.push([label, one, many]);
    console.log(`${label.padEnd(52)}${one.toFixed(0).padStart(16)}${many.toFixed(0).padStart(17)}`);
  }
  const [gateway, node] = rows as [[string, number, number], [string, number, number]];
  console.log(`\nnode:crypto / fabric-gateway: ×${(node[1] / gateway[1]).toFixed(1)} one at a time, ×${(node[2] / gateway[2]).toFixed(1)} with 64 in flight`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
