/** The worker side of SigningPool: signs each batch synchronously, keys parsed once by id. */
import { sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { packBytes, transferablesOf, unpackBytes } from '../threads/packed-bytes';
import { parseP256PrivateKey } from './keys';
import { toLowS } from './signer';
import type { SignBatchMessage, SignBatchResult } from './signing-pool';

const keys = new Map<number, KeyObject>();

parentPort?.on('message', (message: SignBatchMessage) => {
  for (const [id, pem] of message.keys) keys.set(id, parseP256PrivateKey(pem));
  const signatures = unpackBytes(message).map((data, i) => {
    const key = keys.get(message.keyIds[i] as number);
    try {
      return key ? toLowS(sign('sha256', data, key)) : new Uint8Array(0);
    } catch {
      return new Uint8Array(0);
    }
  });
  const packed = packBytes(signatures);
  parentPort?.postMessage({ batch: message.batch, ...packed } satisfies SignBatchResult, transferablesOf(packed));
});
