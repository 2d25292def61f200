/**
 * The thread side of {@link SignerPool}: holds the pool's keys, signs each batch synchronously and
 * checks every signature against the signer's certificate before it leaves — SM2 with the key
 * holder's cheaper form of the verification equation ({@link Sm2SelfCheck}), RSA by verifying.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { packBytes, transferablesOf, unpackBytes } from '../threads/packed-bytes';
import type { PoolKeyMessage, PoolMessage, PoolSignedMessage } from './signer-pool';
import { sm2Sign } from './sm2';
import { Sm2SelfCheck } from './sm2-self-check';

type HeldKey =
  | { readonly algorithm: 'SM2'; readonly privateKey: Uint8Array; readonly publicKey: Uint8Array; readonly check: Sm2SelfCheck }
  | { readonly algorithm: 'RSA'; readonly key: KeyObject; readonly check: KeyObject }
  | { readonly algorithm: 'UNUSABLE'; readonly reason: string };

const keys = new Map<number, HeldKey>();
let crashOnNextBatch = false;

function held(message: PoolKeyMessage): HeldKey {
  return message.algorithm === 'SM2'
    ? { algorithm: 'SM2', privateKey: message.privateKey, publicKey: message.publicKey, check: new Sm2SelfCheck(message.privateKey, message.certificatePoint) }
    : {
        algorithm: 'RSA',
        key: createPrivateKey({ key: Buffer.from(message.pkcs8), format: 'der', type: 'pkcs8' }),
        check: createPublicKey({ key: Buffer.from(message.spki), format: 'der', type: 'spki' }),
      };
}

function signOne(key: HeldKey, tbs: Uint8Array): Uint8Array {
  if (key.algorithm === 'UNUSABLE') throw new Error(`unusable key: ${key.reason}`);
  if (key.algorithm === 'SM2') {
    const signature = sm2Sign(tbs, key.privateKey, { publicKey: key.publicKey });
    if (!key.check.verifies(tbs, signature)) throw new Error("the signature does not verify with the signer's certificate");
    return signature;
  }
  const signature = new Uint8Array(nodeSign('sha256', tbs, key.key));
  if (!nodeVerify('sha256', tbs, key.check, signature)) throw new Error("the signature does not verify with the signer's certificate");
  return signature;
}

parentPort?.on('message', (message: PoolMessage) => {
  switch (message.type) {
    case 'key':
      try {
        keys.set(message.id, held(message));
      } catch (error) {
        keys.set(message.id, { algorithm: 'UNUSABLE', reason: (error as Error).message });
      }
      return;
    case 'crash':
      crashOnNextBatch = true;
      return;
    case 'sign': {
      // An uncaught error while holding the batch: the thread ends as a crashing one would.
      if (crashOnNextBatch) throw new Error('signer thread crash requested');
      const { keyIds } = message;
      let errors: Array<string | null> | null = null;
      const signatures = unpackBytes(message).map((tbs, i) => {
        try {
          const key = keys.get(keyIds[i] as number);
          if (!key) throw new Error(`no key ${keyIds[i]} on this signer thread`);
          return signOne(key, tbs);
        } catch (error) {
          errors ??= Array.from({ length: keyIds.length }, () => null);
          errors[i] = (error as Error).message;
          return new Uint8Array(0);
        }
      });
      const packed = packBytes(signatures);
      parentPort?.postMessage({ batch: message.batch, ...packed, errors } satisfies PoolSignedMessage, transferablesOf(packed));
      return;
    }
  }
});
