/**
 * Chaincode events from a Fabric peer, with our resume semantics (client.ts `Checkpointer`).
 *
 * Our checkpoint and fabric-gateway's mean the same: `blockNumber` is the block to (re)read from —
 * after `checkpointBlock(n)` it is n + 1 — and `transactionId`, when set, is the last transaction
 * already processed within that block. The resume is done here rather than by handing the
 * checkpoint to fabric-gateway: its `afterTransactionId` makes the peer look the transaction up
 * and then skip every event until that transaction is seen — for ever, if the transaction emitted
 * no event of this chaincode. Here, as in the embedded ledger, the peer is asked for events from
 * the checkpointed block and only events *of that block* up to and including the checkpointed
 * transaction are skipped.
 *
 * Block numbers arrive as bigint and are given as numbers (safe far beyond any real ledger).
 * Iteration errors are mapped (fabric-errors.ts); closing the iterable ends iteration quietly.
 */
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable } from '../client';
import { mapFabricError } from './fabric-errors';

/** fabric-gateway's chaincode event. */
export interface GatewayChaincodeEvent {
  readonly blockNumber: bigint;
  readonly transactionId: string;
  readonly chaincodeName: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
}

/** What a fabric-gateway `Network` offers for chaincode events (fakes implement just this). */
export interface ChaincodeEventSource {
  getChaincodeEvents(chaincodeName: string, options?: { startBlock?: bigint }): Promise<AsyncIterable<GatewayChaincodeEvent> & { close(): void }>;
}

/** Where reading starts and what is skipped, from our options. */
export interface ResumePosition {
  /** First block to read; undefined: the next block to be committed. */
  readonly startBlock: number | undefined;
  /** Skip events of `startBlock` up to and including this transaction. */
  readonly skipThrough: string | undefined;
}

/** As the embedded gateway: a checkpoint with a block wins over `startBlock`. */
export function resumePosition(options: ChaincodeEventsOptions = {}): ResumePosition {
  const checkpoint = options.checkpoint;
  if (checkpoint?.blockNumber !== undefined) return { startBlock: checkpoint.blockNumber, skipThrough: checkpoint.transactionId };
  return { startBlock: options.startBlock, skipThrough: undefined };
}

/**
 * Opens the event stream of `chaincodeName` on `source`.
 * @param onClose called once when the iterable is closed (by the caller or by `closeAll` of the gateway).
 */
export async function openChaincodeEvents(
  source: ChaincodeEventSource,
  chaincodeName: string,
  options: ChaincodeEventsOptions = {},
  onClose: () => void = () => undefined,
): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
  const { startBlock, skipThrough } = resumePosition(options);
  if (startBlock !== undefined && (!Number.isSafeInteger(startBlock) || startBlock < 0)) {
    throw new RangeError(`startBlock must be a non-negative integer, not ${startBlock}`);
  }
  let stream: AsyncIterable<GatewayChaincodeEvent> & { close(): void };
  try {
    stream = await source.getChaincodeEvents(chaincodeName, startBlock === undefined ? {} : { startBlock: BigInt(startBlock) });
  } catch (error) {
    throw mapFabricError(error, 'events');
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    stream.close();
    onClose();
  };

  async function* events(): AsyncGenerator<ChaincodeEvent> {
    let skipping = skipThrough !== undefined;
    const iterator = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<GatewayChaincodeEvent>;
        try {
          next = await iterator.next();
        } catch (error) {
          if (closed) return;
          throw mapFabricError(error, 'events');
        }
        if (next.done || closed) return;
        const event = toChaincodeEvent(next.value);
        if (skipping && event.blockNumber === startBlock) {
          if (event.transactionId === skipThrough) skipping = false;
          continue;
        }
        skipping = false;
        yield event;
      }
    } finally {
      // A `break` out of for-await (or an error) ends the subscription as close() would.
      close();
    }
  }

  const iterable = events();
  return {
    [Symbol.asyncIterator]: () => iterable,
    close,
  };
}

export function toChaincodeEvent(event: GatewayChaincodeEvent): ChaincodeEvent {
  return {
    blockNumber: Number(event.blockNumber),
    transactionId: event.transactionId,
    chaincodeName: event.chaincodeName,
    eventName: event.eventName,
    payload: event.payload,
  };
}
