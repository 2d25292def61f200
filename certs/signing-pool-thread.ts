/** The worker side of SigningPool: signs each batch synchronously, keys parsed once by id. */
import { sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { parseP256PrivateKey } from './keys';
import { toLowS } from './signer';
import type { SignBatchMessage, SignBatchResult } from './signing-pool';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (message: SignBatchMessage) => {
  for (const [id, pem] of message.keys) keys.set(id, parseP256PrivateKey(pem));
  const signatures: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < message.keyIds.length; i++) {
    const end = message.ends[i] as number;
    const key = keys.get(message.keyIds[i] as number);
    try {
      signatures.push(key ? toLowS(sign('sha256', message.data.subarray(start, end), key)) : new Uint8Array(0));
    } catch {
      signatures.push(new Uint8Array(0));
    }
    start = end;
  }
  const ends = new Uint32Array(signatures.length);
  const data = new Uint8Array(signatures.reduce((n, s) => n + s.length, 0));
  let at = 0;
  signatures.forEach((signature, i) => {
    data.set(signature, at);
    at += signature.length;
    ends[i] = at;
  });
  parentPort?.postMessage({ batch: message.batch, ends, data } satisfies SignBatchResult, [ends.buffer, data.buffer]);
});
