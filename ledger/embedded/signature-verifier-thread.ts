/** The worker side of SignatureVerifier: verifies each batch synchronously, keys cached by id. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { VerifyBatchMessage, VerifyBatchResult } from './signature-verifier';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (message: VerifyBatchMessage) => {
  for (const [id, pem] of message.keys) keys.set(id, createPublicKey(pem));
  const results = new Uint8Array(message.items.length);
  message.items.forEach(([keyId, data, signature], i) => {
    const key = keys.get(keyId);
    try {
      results[i] = key && verify('sha256', data, key, signature) ? 1 : 0;
    } catch {
      results[i] = 0; // malformed signature bytes
    }
  });
  parentPort?.postMessage({ batch: message.batch, results } satisfies VerifyBatchResult);
});
