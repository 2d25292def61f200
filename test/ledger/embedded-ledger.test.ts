import t, { type Test } from 'tap';
import { newNodeSigner } from '../../certs/signer';
import { FileCheckpointer } from '../../ledger/file-checkpointer';
import { CommitError, EndorseError, ValidationCode } from '../../ledger/errors';
import { verifyLedger } from '../../ledger/embedded';
import { createProposal } from '../../ledger/embedded/proposal';
import type { EndorsedTransaction } from '../../ledger/embedded';
import { json, startTestNetwork, type TestClient, type TestNetwork } from '../support/network';
import { contracts } from './fixtures/asset-contract';

const ORG = 'Org1MSP';
const str = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

async function network(t: Test, blockCutter = {}): Promise<TestNetwork> {
  const net = await startTestNetwork({ organisations: [{ mspId: ORG }, { mspId: 'Org2MSP' }], contracts, chaincodeName: 'asset', blockCutter });
  t.teardown(() => net.close());
  return net;
}

t.test('put, get, delete through chaincode; evaluate orders nothing', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG, { role: 'issuer' });
  const put = await client.submit('Put', { arguments: ['k1', 'v1'] });
  t.equal(put.code, ValidationCode.VALID);
  t.match(put.transactionId, /^[0-9a-f]{64}$/);
  t.ok(put.blockNumber >= 1, 'committed after the genesis block');
  t.equal(str(await client.evaluate('Get', { arguments: ['k1'] })), 'v1');
  const height = net.ledger.height;
  await client.evaluate('Get', { arguments: ['k1'] });
  t.equal(net.ledger.height, height, 'a query cuts no block');
  await client.submit('Delete', { arguments: ['k1'] });
  t.equal(str(await client.evaluate('Get', { arguments: ['k1'] })), '', 'a deleted key reads empty');
  const tx = (await net.ledger.getTransaction(put.transactionId)) as { function: string; validation: string; creator: { mspId: string } };
  t.match(tx, { function: 'Put', validation: 'VALID', creator: { mspId: ORG } });
});

t.test('no read-your-own-writes inside a transaction', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  await client.submit('Put', { arguments: ['k', 'committed'] });
  const result = await client.submit('WriteThenRead', { arguments: ['k', 'uncommitted'] });
  t.equal(str(result.result), 'committed', 'the read sees committed state');
  t.equal(str(await client.evaluate('Get', { arguments: ['k'] })), 'uncommitted');
});

t.test('composite keys: Fabric encoding, partial-key scans in byte order, split', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  // U+1F600 (above U+FFFF) sorts after U+FFFD by UTF-8 bytes but before it by UTF-16 units.
  for (const [a, b] of [['x', '\u{1F600}'], ['x', '\uFFFD'], ['x', 'a'], ['y', 'b']]) {
    await client.submit('PutComposite', { arguments: ['thing', a as string, b as string, `${a}/${b}`] });
  }
  await client.submit('Put', { arguments: ['plain', 'p'] });
  const under = json<Array<{ objectType: string; attributes: string[]; value: string }>>(
    await client.evaluate('ListComposite', { arguments: ['thing', 'x'] }),
  );
  t.same(under.map((i) => i.attributes[1]), ['a', '\uFFFD', '\u{1F600}'], 'UTF-8 byte order');
  t.equal(under[0]?.objectType, 'thing');
  const all = json<unknown[]>(await client.evaluate('ListComposite', { arguments: ['thing', ''] }));
  t.equal(all.length, 4);
  const plain = json<Array<{ key: string }>>(await client.evaluate('Range', { arguments: ['', ''] }));
  t.same(plain.map((i) => i.key), ['plain'], 'an open range scan never returns composite keys');
});

t.test('history: every write and delete, newest first, with tx ids', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  const ids: string[] = [];
  for (const v of ['a', 'b']) ids.push((await client.submit('Put', { arguments: ['h', v] })).transactionId);
  ids.push((await client.submit('Delete', { arguments: ['h'] })).transactionId);
  ids.push((await client.submit('Put', { arguments: ['h', 'c'] })).transactionId);
  // A key that extends 'h' must not leak into its history.
  await client.submit('Put', { arguments: ['h2', 'x'] });
  const history = json<Array<{ txId: string; isDelete: boolean; value: string }>>(await client.evaluate('History', { arguments: ['h'] }));
  t.same(history.map((h) => h.txId), [...ids].reverse());
  t.same(history.map((h) => h.isDelete), [false, true, false, false]);
  t.same(history.map((h) => h.value), ['c', '', 'b', 'a']);
});

t.test('chaincode errors reach the caller with message and code; nothing is written', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  const height = net.ledger.height;
  const error = await client.submit('Fail', { arguments: ['[LICENSE_STATE] cannot resume a revoked license'] }).catch((e: unknown) => e);
  t.type(error, EndorseError);
  t.equal((error as EndorseError).code, 'LICENSE_STATE');
  t.equal((error as EndorseError).message, 'cannot resume a revoked license');
  const unknown = await client.submit('NoSuchTransaction').catch((e: unknown) => e);
  t.type(unknown, EndorseError);
  t.match((unknown as Error).message, /NoSuchTransaction/);
  t.equal(net.ledger.height, height, 'refused proposals are never ordered');
});

t.test('creator, role attribute, transient data and tx time reach the chaincode', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG, { name: 'alice', role: 'verifier' });
  const before = Math.floor(Date.now() / 1000);
  const who = json<Record<string, unknown>>(
    await client.evaluate('Whoami', { transientData: { secret: 'not-on-the-ledger' } }),
  );
  t.equal(who.mspId, ORG);
  t.equal(who.role, 'verifier');
  t.equal(who.id, net.identityId(client));
  t.match(who.id, /^x509::\/C=CN\/.*CN=alice::\//);
  t.equal(who.transient, 'not-on-the-ledger');
  t.equal(who.channel, 'licensechain');
  t.ok((who.seconds as number) >= before - 1 && (who.seconds as number) <= before + 5);

  const submitted = await client.submit('Whoami', { transientData: { secret: 'hidden-value' } });
  const block = await net.ledger.store.readBlockBytes(submitted.blockNumber);
  t.ok(block?.toString().includes(submitted.transactionId), 'the block with the transaction is read');
  t.notOk(block?.toString().includes(Buffer.from('hidden-value').toString('base64')), 'transient data is not in the block');
});

t.test('contract metadata describes every transaction', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  const metadata = json<{ contracts: Record<string, { transactions: Array<{ name: string }> }> }>(
    await client.evaluate('org.hyperledger.fabric:GetMetadata'),
  );
  const names = metadata.contracts.asset?.transactions.map((tx) => tx.name) ?? [];
  t.ok(['Put', 'Get', 'Increment', 'History', 'Whoami'].every((n) => names.includes(n)));
});

/** Endorses every call first, then orders them all in one tick: they land in one block. */
async function sameBlock(net: TestNetwork, client: TestClient, calls: string[][]): Promise<Array<{ code: number; blockNumber: number; payload: string }>> {
  const signer = newNodeSigner(client.credentials.privateKey);
  const endorsed: EndorsedTransaction[] = [];
  for (const [name, ...args] of calls) {
    const { bytes } = createProposal({
      channelId: 'licensechain',
      chaincodeName: 'asset',
      creator: { mspId: client.credentials.mspId, idBytes: client.credentials.certificate },
      transactionName: name as string,
      args,
      transient: new Map(),
    });
    endorsed.push(await net.ledger.endorse({ bytes, signature: Buffer.from(await signer(bytes)), transient: new Map() }));
  }
  const statuses = await Promise.all(endorsed.map((tx) => net.ledger.order(tx)));
  return statuses.map((status, i) => ({ ...status, payload: str((endorsed[i] as { payload: Buffer }).payload) }));
}

t.test('concurrent conflicting submits: exactly one wins per block, the rest are retried or reported', async (t) => {
  const net = await network(t, { maxTransactions: 100, timeoutMs: 50, cutWhenIdle: false });
  const client = await net.client(ORG);
  await client.submit('Put', { arguments: ['counter', '0'] });

  // Ten read-modify-writes of one key in one block: the first is valid, nine are MVCC conflicts.
  const results = await sameBlock(net, client, Array.from({ length: 10 }, () => ['Increment', 'counter']));
  t.equal(new Set(results.map((r) => r.blockNumber)).size, 1, `all in one block: ${results.map((r) => r.blockNumber).join(',')}`);
  t.same(results.map((r) => r.code), [ValidationCode.VALID, ...Array(9).fill(ValidationCode.MVCC_READ_CONFLICT)]);
  t.equal(str(await client.evaluate('Get', { arguments: ['counter'] })), '1');

  // Through the client interface a conflict surfaces as CommitError when retries are off…
  const noRetry = net.ledger.connect({ identity: { mspId: ORG, credentials: Buffer.from(client.credentials.certificate) }, signer: newNodeSigner(client.credentials.privateKey), conflictRetries: 0 }).getContract();
  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => noRetry.submit('Increment', { arguments: ['counter'] })));
  const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  t.ok(outcomes.some((o) => o.status === 'fulfilled'), 'at least one wins');
  t.ok(lost.every((o) => o.reason instanceof CommitError && o.reason.validationCode === ValidationCode.MVCC_READ_CONFLICT && o.reason.code === 'CONFLICT'), 'the losers are MVCC conflicts');
  const after = Number(str(await client.evaluate('Get', { arguments: ['counter'] })));
  t.equal(after, 1 + outcomes.length - lost.length, 'each winner incremented once');

  // …and with retries (the default) every increment eventually commits.
  await Promise.all(Array.from({ length: 5 }, () => client.submit('Increment', { arguments: ['counter'] })));
  t.equal(str(await client.evaluate('Get', { arguments: ['counter'] })), String(after + 5));
  t.ok((await verifyLedger(net.ledger.store)).ok);
});

t.test('phantom reads: an insert into a range read by a concurrent transaction invalidates it', async (t) => {
  const net = await network(t, { maxTransactions: 100, timeoutMs: 50, cutWhenIdle: false });
  const client = await net.client(ORG);
  await client.submit('Put', { arguments: ['r1', 'x'] });
  // Both are simulated against the same state and land in the same block, insert first.
  const [insert, count] = await sameBlock(net, client, [
    ['Put', 'r2', 'y'],
    ['CountRangeInto', 'r', 's', 'count'],
  ]);
  t.equal(insert?.code, ValidationCode.VALID);
  t.equal(count?.code, ValidationCode.PHANTOM_READ_CONFLICT);
  t.equal(str(await client.evaluate('Get', { arguments: ['count'] })), '', 'the invalid write was not applied');
  // Retried, it counts both.
  t.equal(str((await client.submit('CountRangeInto', { arguments: ['r', 's', 'count'] })).result), '2');
  // A range read that is not disturbed stays valid even with other writes in the block.
  const [other, recount] = await sameBlock(net, client, [
    ['Put', 'zz', 'outside the range'],
    ['CountRangeInto', 'r', 's', 'count2'],
  ]);
  t.equal(other?.code, ValidationCode.VALID);
  t.equal(recount?.code, ValidationCode.VALID);
});

t.test('events: delivered in order with block numbers, resumable from a block and a checkpoint', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  const first = await client.submit('Emit', { arguments: ['Issued', 'one'] });
  await client.submit('Put', { arguments: ['quiet', 'no event'] });
  const second = await client.submit('Emit', { arguments: ['Issued', 'two'] });

  const events = await client.gateway.getChaincodeEvents({ startBlock: 0 });
  const seen: Array<{ name: string; payload: string; block: number; tx: string }> = [];
  const live = client.submit('Emit', { arguments: ['Revoked', 'three'] });
  for await (const event of events) {
    seen.push({ name: event.eventName, payload: str(event.payload), block: event.blockNumber, tx: event.transactionId });
    if (seen.length === 3) break;
  }
  events.close();
  await live;
  t.same(seen.map((e) => e.payload), ['one', 'two', 'three']);
  t.equal(seen[0]?.block, first.blockNumber);
  t.equal(seen[1]?.tx, second.transactionId);

  const checkpointer = new FileCheckpointer(`${net.dir}/checkpoint.json`);
  await checkpointer.checkpointTransaction(first.blockNumber, first.transactionId);
  const resumed = await client.gateway.getChaincodeEvents({ checkpoint: new FileCheckpointer(`${net.dir}/checkpoint.json`) });
  const after: string[] = [];
  for await (const event of resumed) {
    after.push(str(event.payload));
    if (after.length === 2) break;
  }
  resumed.close();
  t.same(after, ['two', 'three'], 'resumes after the checkpointed transaction');
});

t.test('reopen: state, height and hashes survive a restart; verify passes', async (t) => {
  const net = await network(t);
  const client = await net.client(ORG);
  for (let i = 0; i < 20; i++) await client.submit('Put', { arguments: [`k${i}`, `v${i}`] });
  const before = await net.ledger.info();
  await net.reopen();
  const after = await net.ledger.info();
  t.same(after, before);
  const again = net.connect(client.credentials);
  t.equal(str(await again.evaluate('Get', { arguments: ['k19'] })), 'v19');
  await again.submit('Put', { arguments: ['k20', 'v20'] });
  const report = await verifyLedger(net.ledger.store);
  t.ok(report.ok, JSON.stringify(report.mismatch));
  t.equal(report.height, before.height + 1);
});
