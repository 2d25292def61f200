/**
 * The Fabric contract adapter on a fake contract layer (the fabric-gateway methods it uses):
 * submit's MVCC/phantom retry policy — fresh proposal per attempt, bounded, jittered backoff —
 * error mapping per step, and chaincode-event resume from a checkpoint (FileCheckpointer) with
 * the embedded ledger's semantics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, EndorseError, LedgerUnavailableError, ValidationCode } from '../../ledger/errors';
import { FileCheckpointer } from '../../ledger/file-checkpointer';
import { conflictBackoffMs, FabricContract, type ProposalLike, type ProposalSource } from '../../ledger/fabric/fabric-contract';
import { openChaincodeEvents, resumePosition, type ChaincodeEventSource, type GatewayChaincodeEvent } from '../../ledger/fabric/fabric-events';
import { gatewayError } from './fabric-fixtures';

interface Step {
  /** Commit status code of this attempt (default VALID). */
  readonly code?: number;
  readonly endorseError?: Error;
  readonly submitError?: Error;
  readonly statusError?: Error;
}

/** A fake fabric-gateway contract: each newProposal is one attempt, scripted by `steps`. */
function fakeContract(steps: Step[]) {
  const calls: Array<{ name: string; args: readonly unknown[]; txId: string; submitted: boolean }> = [];
  const source: ProposalSource = {
    newProposal(name, options) {
      const step = steps[calls.length] ?? {};
      const txId = `tx-${calls.length + 1}`;
      const call = { name, args: options?.arguments ?? [], txId, submitted: false };
      calls.push(call);
      const proposal: ProposalLike = {
        getTransactionId: () => txId,
        evaluate: async () => {
          if (step.endorseError) throw step.endorseError;
          return Buffer.from(`answer of ${name}`);
        },
        endorse: async () => {
          if (step.endorseError) throw step.endorseError;
          return {
            getResult: () => Buffer.from(`result of ${txId}`),
            getTransactionId: () => txId,
            submit: async () => {
              if (step.submitError) throw step.submitError;
              call.submitted = true;
              return {
                getStatus: async () => {
                  if (step.statusError) throw step.statusError;
                  return { code: step.code ?? ValidationCode.VALID, blockNumber: BigInt(10 + calls.length) };
                },
              };
            },
          };
        },
      };
      return proposal;
    },
  };
  return { source, calls };
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

t.test('a valid submit: result, transaction id, block number, code 0', async (t) => {
  const { source, calls } = fakeContract([{}]);
  const contract = new FabricContract(source);
  const result = await contract.submit('registry:Register', { arguments: ['a', Buffer.from('b')] });
  t.same({ ...result, result: Buffer.from(result.result).toString() }, { result: 'result of tx-1', transactionId: 'tx-1', blockNumber: 11, code: 0 });
  t.equal(typeof result.blockNumber, 'number');
  t.equal(calls.length, 1);
  t.same(calls[0]?.args, ['a', Buffer.from('b')]);
});

t.test('MVCC and phantom conflicts: retried with a fresh proposal, then committed', async (t) => {
  const { source, calls } = fakeContract([{ code: ValidationCode.MVCC_READ_CONFLICT }, { code: ValidationCode.PHANTOM_READ_CONFLICT }, {}]);
  const { waits, sleep } = recordingSleep();
  const contract = new FabricContract(source, { maxRetries: 5, random: () => 0.999, sleep });
  const result = await contract.submit('license:Issue');
  t.equal(result.transactionId, 'tx-3', 'the answer is the attempt that committed');
  t.same(calls.map((c) => c.txId), ['tx-1', 'tx-2', 'tx-3'], 'a new transaction each time');
  t.ok(calls.every((c) => c.name === 'license:Issue' && c.submitted));
  t.same(waits, [19, 39], 'full jitter under base · 2^attempt');
});

t.test('conflicts beyond maxRetries: CommitError CONFLICT with the last transaction', async (t) => {
  const { source, calls } = fakeContract(Array.from({ length: 10 }, () => ({ code: ValidationCode.MVCC_READ_CONFLICT })));
  const { waits, sleep } = recordingSleep();
  const contract = new FabricContract(source, { maxRetries: 2, sleep });
  const error = await contract.submit('license:Issue').catch((e: unknown) => e);
  t.type(error, CommitError);
  t.match(error, { code: 'CONFLICT', validationCode: 11, transactionId: 'tx-3' });
  t.equal(calls.length, 3, 'one attempt plus two retries');
  t.equal(waits.length, 2);

  const none = fakeContract([{ code: ValidationCode.MVCC_READ_CONFLICT }]);
  const noRetry = new FabricContract(none.source, { maxRetries: 0, sleep });
  t.match(await noRetry.submit('x').catch((e: unknown) => e), { code: 'CONFLICT' });
  t.equal(none.calls.length, 1, 'maxRetries 0: no retry');
});

t.test('other invalidation codes are not retried', async (t) => {
  const { source, calls } = fakeContract([{ code: ValidationCode.ENDORSEMENT_POLICY_FAILURE }, {}]);
  const error = await new FabricContract(source, { sleep: async () => undefined }).submit('x').catch((e: unknown) => e);
  t.type(error, CommitError);
  t.match(error, { code: 'COMMIT_FAILED', validationCode: 10, transactionId: 'tx-1' });
  t.equal(calls.length, 1);
});

t.test('failures per step are mapped, never retried', async (t) => {
  const refused = gatewayError('endorse', GrpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', [
    { message: 'chaincode response 500, [LICENSE_STATE] license X is revoked' },
  ], 'tx-1');
  const endorse = fakeContract([{ endorseError: refused }, {}]);
  const error = await new FabricContract(endorse.source).submit('license:Suspend').catch((e: unknown) => e);
  t.type(error, EndorseError);
  t.match(error, { code: 'LICENSE_STATE', detail: 'license X is revoked', transactionId: 'tx-1' });
  t.equal(endorse.calls.length, 1);

  const submit = fakeContract([{ submitError: gatewayError('submit', GrpcStatus.UNAVAILABLE, 'no orderers could successfully process transaction') }]);
  t.type(await new FabricContract(submit.source).submit('x').catch((e: unknown) => e), LedgerUnavailableError);

  const status = fakeContract([{ statusError: gatewayError('commitStatus', GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded') }]);
  t.type(await new FabricContract(status.source).submit('x').catch((e: unknown) => e), LedgerUnavailableError);

  const evaluate = fakeContract([{ endorseError: gatewayError('evaluate', GrpcStatus.UNKNOWN, 'evaluate call to endorser returned error: chaincode response 500, [NOT_FOUND] no license X', [{ message: 'chaincode response 500, [NOT_FOUND] no license X' }]) }]);
  const evaluated = await new FabricContract(evaluate.source).evaluate('license:GetLicense', { arguments: ['X'] }).catch((e: unknown) => e);
  t.match(evaluated, { code: 'NOT_FOUND', detail: 'no license X', transactionId: 'tx-1' });

  const fine = fakeContract([{}]);
  t.equal(Buffer.from(await new FabricContract(fine.source).evaluate('registry:List')).toString(), 'answer of registry:List');
});

t.test('a closed gateway fails fast', async (t) => {
  const { source, calls } = fakeContract([{}]);
  const contract = new FabricContract(source, {}, () => true);
  t.type(await contract.submit('x').catch((e: unknown) => e), LedgerUnavailableError);
  t.type(await contract.evaluate('x').catch((e: unknown) => e), LedgerUnavailableError);
  t.equal(calls.length, 0);
});

t.test('backoff: bounded, growing, capped', async (t) => {
  t.equal(conflictBackoffMs(0, { random: () => 0 }), 0);
  t.equal(conflictBackoffMs(0, { random: () => 0.5 }), 10);
  t.equal(conflictBackoffMs(3, { random: () => 0.5 }), 80);
  t.equal(conflictBackoffMs(30, { random: () => 0.999999 }), 249, 'capped at maxBackoffMs');
  t.equal(conflictBackoffMs(2, { baseBackoffMs: 5, maxBackoffMs: 1000, random: () => 0.5 }), 10);
  for (let i = 0; i < 200; i++) {
    const ms = conflictBackoffMs(i % 8);
    t.ok(ms >= 0 && ms < 250, 'within [0, 250)');
  }
});

// ── Chaincode events ────────────────────────────────────────────────────────────────────────

const event = (block: number, tx: string, name = 'E'): GatewayChaincodeEvent => ({
  blockNumber: BigInt(block),
  transactionId: tx,
  chaincodeName: 'licensechain',
  eventName: name,
  payload: Buffer.from(`${block}/${tx}`),
});

/** A fake peer event stream over a fixed history, then open until closed. */
function fakeEvents(history: GatewayChaincodeEvent[]) {
  const requests: Array<{ chaincode: string; startBlock: bigint | undefined }> = [];
  let closed = 0;
  const source: ChaincodeEventSource = {
    async getChaincodeEvents(chaincode, options) {
      requests.push({ chaincode, startBlock: options?.startBlock });
      const from = options?.startBlock ?? 1000n;
      let wake: (() => void) | undefined;
      let open = true;
      return {
        close: () => {
          open = false;
          closed++;
          wake?.();
        },
        async *[Symbol.asyncIterator]() {
          for (const e of history) if (e.blockNumber >= from) yield e;
          while (open) await new Promise<void>((resolve) => (wake = resolve));
          // As grpc-js: a cancelled stream rejects.
          throw gatewayError('evaluate', GrpcStatus.CANCELLED, 'Cancelled on client');
        },
      };
    },
  };
  return { source, requests, closedCount: () => closed };
}

const HISTORY = [event(3, 'a'), event(3, 'b'), event(3, 'c'), event(5, 'd'), event(6, 'e')];

async function take(iterable: AsyncIterable<{ blockNumber: number; transactionId: string }>, n: number): Promise<string[]> {
  const seen: string[] = [];
  for await (const e of iterable) {
    seen.push(`${e.blockNumber}/${e.transactionId}`);
    if (seen.length === n) break;
  }
  return seen;
}

t.test('events: from a block, numbers as numbers, a break closes the stream', async (t) => {
  const fake = fakeEvents(HISTORY);
  const events = await openChaincodeEvents(fake.source, 'licensechain', { startBlock: 5 });
  t.same(fake.requests, [{ chaincode: 'licensechain', startBlock: 5n }]);
  const seen: unknown[] = [];
  for await (const e of events) {
    seen.push(e);
    if (seen.length === 2) break;
  }
  t.same(seen, [
    { blockNumber: 5, transactionId: 'd', chaincodeName: 'licensechain', eventName: 'E', payload: Buffer.from('5/d') },
    { blockNumber: 6, transactionId: 'e', chaincodeName: 'licensechain', eventName: 'E', payload: Buffer.from('6/e') },
  ]);
  t.equal(fake.closedCount(), 1, 'break closed the peer stream');
  events.close();
  t.equal(fake.closedCount(), 1, 'close is idempotent');

  const next = await openChaincodeEvents(fake.source, 'licensechain');
  t.same(fake.requests[1], { chaincode: 'licensechain', startBlock: undefined }, 'no start: the next block to be committed');
  next.close();
});

t.test('events: resume from a FileCheckpointer, as the embedded gateway', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-fabric-checkpoint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.json');
  const fake = fakeEvents(HISTORY);

  // Nothing checkpointed yet: the startBlock option applies.
  const fresh = new FileCheckpointer(path);
  t.same(resumePosition({ checkpoint: fresh, startBlock: 3 }), { startBlock: 3, skipThrough: undefined });
  const all = await openChaincodeEvents(fake.source, 'licensechain', { checkpoint: fresh, startBlock: 3 });
  const first = await take(all, 2);
  t.same(first, ['3/a', '3/b']);
  // Processed through b: checkpoint the transaction; a new process reads the file.
  await fresh.checkpointTransaction(3, 'b');
  const resumed = await openChaincodeEvents(fake.source, 'licensechain', { checkpoint: new FileCheckpointer(path), startBlock: 0 });
  t.equal(fake.requests.at(-1)?.startBlock, 3n, 'the checkpointed block is re-read; startBlock ignored');
  t.same(await take(resumed, 3), ['3/c', '5/d', '6/e'], 'events after b only');

  // A whole block done: resume from the next block, nothing skipped.
  await fresh.checkpointBlock(3);
  t.same(resumePosition({ checkpoint: new FileCheckpointer(path) }), { startBlock: 4, skipThrough: undefined });
  const afterBlock = await openChaincodeEvents(fake.source, 'licensechain', { checkpoint: new FileCheckpointer(path) });
  t.same(await take(afterBlock, 2), ['5/d', '6/e']);

  // The last transaction of a block: the next event is in a later block.
  await fresh.checkpointTransaction(3, 'c');
  t.same(await take(await openChaincodeEvents(fake.source, 'licensechain', { checkpoint: new FileCheckpointer(path) }), 1), ['5/d']);

  // A transaction that emitted no event: only its block is skipped (Fabric's afterTransactionId would skip for ever).
  await fresh.checkpointTransaction(5, 'quiet');
  t.same(await take(await openChaincodeEvents(fake.source, 'licensechain', { checkpoint: new FileCheckpointer(path) }), 1), ['6/e']);
});

t.test('events: close ends iteration quietly; failures are mapped', async (t) => {
  const fake = fakeEvents([event(1, 'x')]);
  const events = await openChaincodeEvents(fake.source, 'licensechain', { startBlock: 0 });
  const iterator = events[Symbol.asyncIterator]();
  t.match(await iterator.next(), { done: false, value: { transactionId: 'x' } });
  const pending = iterator.next();
  events.close();
  t.same(await pending, { done: true, value: undefined }, 'a reader waiting for the next event is released');

  const failing: ChaincodeEventSource = {
    async getChaincodeEvents() {
      return {
        close: () => undefined,
        async *[Symbol.asyncIterator]() {
          yield* [];
          throw gatewayError('evaluate', GrpcStatus.UNAVAILABLE, 'Connection dropped');
        },
      };
    },
  };
  const broken = await openChaincodeEvents(failing, 'licensechain', { startBlock: 0 });
  const error = await take(broken, 1).catch((e: unknown) => e);
  t.type(error, LedgerUnavailableError, 'a dropped stream is LEDGER_UNAVAILABLE (the facts cache resubscribes)');

  const denied: ChaincodeEventSource = {
    async getChaincodeEvents() {
      return {
        close: () => undefined,
        async *[Symbol.asyncIterator]() {
          yield* [];
          throw gatewayError('evaluate', GrpcStatus.PERMISSION_DENIED, 'access denied for [ChaincodeEvents][licensechain]');
        },
      };
    },
  };
  t.match(await take(await openChaincodeEvents(denied, 'licensechain'), 1).catch((e: unknown) => e), { code: 'FORBIDDEN' });
  await t.rejects(openChaincodeEvents(fake.source, 'licensechain', { startBlock: -1 }), RangeError);
});
