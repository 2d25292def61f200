/** The worker side of SignatureVerifier: verifies each batch synchronously, keys cached by id. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { unpackBytes } from '../../threads/packed-bytes';
import type { VerifyBatchMessage, VerifyBatchResult } from './signature-verifier';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (message: VerifyBatchMessage) => {
  for (const [id, pem] of message.keys) keys.set(id, createPublicKey(pem));
  const parts = unpackBytes(message);
  const results = new Uint8Array(message.keyIds.length);
  for (let i = 0; i < results.length; i++) {
    const key = keys.get(message.keyIds[i] as number);
    try {
      results[i] = key && verify('sha256', parts[2 * i] as Uint8Array, key, parts[2 * i + 1] as Uint8Array) ? 1 : 0;
    } catch {
      results[i] = 0; // malformed signature bytes
    }
  }
  parentPort?.postMessage({ batch: message.batch, results } satisfies VerifyBatchResult, [results.buffer]);
});
