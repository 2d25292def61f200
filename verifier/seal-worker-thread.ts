/**
 * The worker side of SealWorkerPool: verifies each task of a batch in turn, with this thread's
 * seal-level cache, and answers each as soon as it is done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CodedError } from '../domain/coded-error';
import { SealVerifyCache } from '../seal/verify-cache';
import { unpackBytes } from '../threads/packed-bytes';
import type { SealTaskBatch, SealTaskResult, SealWorkerData } from './seal-worker-pool';
import { verifyOutcome } from './seal-signatures';

const data = workerData as SealWorkerData | undefined;

if (parentPort && data?.sealWorker) {
  const port = parentPort;
  const cache = new SealVerifyCache({ maxEntries: data.cacheSize });
  port.on('message', (message: SealTaskBatch) => {
    const parts = unpackBytes(message);
    for (let index = 0; index < message.meta.length / 2; index++) {
      const signature = parts[2 * index] as Uint8Array;
      const bytes = parts[2 * index + 1] as Uint8Array;
      const trust = message.trusts[message.meta[2 * index] as number];
      let result: SealTaskResult;
      try {
        if (!trust) throw new Error('no trust set for the task');
        const input = message.meta[2 * index + 1] === 1 ? { content: bytes } : { digest: bytes };
        result = { batch: message.batch, index, outcome: verifyOutcome(trust, signature, input, cache) };
      } catch (error) {
        const coded = error instanceof CodedError;
        result = {
          batch: message.batch,
          index,
          error: { ...(coded ? { code: error.code } : {}), message: coded ? error.detail : String((error as Error)?.message ?? error) },
        };
      }
      port.postMessage(result);
    }
  });
}
