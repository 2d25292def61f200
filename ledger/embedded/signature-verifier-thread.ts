/** The worker side of SignatureVerifier: verifies each batch synchronously, keys cached by id. */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { VerifyBatchMessage, VerifyBatchResult } from './signature-verifier';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (message: VerifyBatchMessage) => {
  for (const [id, pem] of message.keys) keys.set(id, createPublicKey(pem));
  const { keyIds, offsets, data } = message;
  const results = new Uint8Array(keyIds.length);
  let start = 0;
  for (let i = 0; i < keyIds.length; i++) {
    const messageEnd = offsets[2 * i] as number;
    const signatureEnd = offsets[2 * i + 1] as number;
    const key = keys.get(keyIds[i] as number);
    try {
      results[i] = key && verify('sha256', data.subarray(start, messageEnd), key, data.subarray(messageEnd, signatureEnd)) ? 1 : 0;
    } catch {
      results[i] = 0; // malformed signature bytes
    }
    start = signatureEnd;
  }
  parentPort?.postMessage({ batch: message.batch, results } satisfies VerifyBatchResult, [results.buffer]);
});
