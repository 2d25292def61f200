import { appendFileSync, openSync, readSync, truncateSync, writeSync, closeSync, statSync } from 'node:fs';
import t from 'tap';
import { Level } from 'level';
import { verifyLedger } from '../../ledger/embedded';
import { blockKey } from '../../ledger/embedded/keys';
import type { LedgerStore } from '../../ledger/embedded/ledger-store';
import { startTestNetwork, type TestNetwork } from '../support/network';
import { contracts } from './fixtures/asset-contract';

async function ledgerWithHistory(): Promise<TestNetwork> {
  const net = await startTestNetwork({ organisations: [{ mspId: 'Org1MSP' }], contracts, chaincodeName: 'asset' });
  const client = await net.client('Org1MSP');
  for (let i = 0; i < 5; i++) await client.submit('Put', { arguments: [`k${i}`, `value-${i}`] });
  await client.submit('Delete', { arguments: ['k0'] });
  await net.ledger.close();
  return net;
}

async function withStore<T>(net: TestNetwork, use: (store: LedgerStore) => Promise<T>): Promise<T> {
  const { LedgerStore } = await import('../../ledger/embedded/ledger-store.js');
  const store = new LedgerStore(`${net.dir}/ledger`);
  await store.open();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const BLOCK_FILE = (net: TestNetwork): string => `${net.dir}/ledger/blocks/blockfile_000000`;

/** Flips one bit of the byte at `offset` of block `number`, in its block file. */
async function flipBlock(net: TestNetwork, number: number, offset: (value: Buffer) => number): Promise<void> {
  const location = await withStore(net, async (store) => (await store.readStoredBlock(number))?.location);
  if (!location) throw new Error(`block ${number} has no location`);
  const fd = openSync(BLOCK_FILE(net), 'r+');
  try {
    const bytes = Buffer.alloc(location.length);
    readSync(fd, bytes, 0, location.length, location.offset);
    const at = offset(bytes);
    writeSync(fd, Buffer.from([(bytes[at] as number) ^ 0x01]), 0, 1, location.offset + at);
  } finally {
    closeSync(fd);
  }
}

/** Flips one bit of the byte at `offset` of the stored value of `key`. */
async function flip(net: TestNetwork, key: string, offset: (value: Buffer) => number): Promise<void> {
  const { LedgerStore } = await import('../../ledger/embedded/ledger-store.js');
  const store = new LedgerStore(`${net.dir}/ledger`);
  await store.open();
  const value = (await store.db.get(key)) as Buffer;
  const copy = Buffer.from(value);
  const at = offset(copy);
  copy[at] = (copy[at] as number) ^ 0x01;
  await store.db.put(key, copy);
  await store.close();
}

t.test('an untouched ledger verifies', async (t) => {
  const net = await ledgerWithHistory();
  t.teardown(() => net.close().catch(() => undefined));
  const report = await verifyLedger(`${net.dir}/ledger`);
  t.ok(report.ok);
  t.equal(report.height, 7);
  t.equal(report.stateKeys, 4);
});

const cases: Array<[string, (net: TestNetwork) => Promise<void>, RegExp]> = [
  ['a byte of a transaction inside a block', (net) => flipBlock(net, 3, (v) => v.indexOf('"proposal"') + 40), /block 3|transaction/],
  ['a block header field', (net) => flipBlock(net, 2, (v) => v.indexOf('"previousHash":"') + 20), /block 2/],
  ['a validation code in block metadata', (net) => flipBlock(net, 4, (v) => v.indexOf('"validationCodes":[') + 19), /block 4/],
  ['the block index (a location one byte off)', (net) => flip(net, blockKey(5), (v) => v.length - 1), /block 5/],
  ['a state value', (net) => flip(net, 'S:asset:k3', (v) => v.length - 1), /state entry "S:asset:k3"/],
  ['a state version', (net) => flip(net, 'S:asset:k2', () => 7), /state entry "S:asset:k2"/],
];

for (const [what, tamper, expected] of cases) {
  t.test(`a flipped bit in ${what} is reported`, async (t) => {
    const net = await ledgerWithHistory();
    t.teardown(() => net.close().catch(() => undefined));
    await tamper(net);
    const report = await verifyLedger(`${net.dir}/ledger`);
    t.notOk(report.ok, 'verification fails');
    t.match(report.mismatch?.detail ?? '', expected, report.mismatch?.detail ?? 'no mismatch');
  });
}

t.test('a deleted state key and an extra state key are reported', async (t) => {
  const net = await ledgerWithHistory();
  t.teardown(() => net.close().catch(() => undefined));
  const { LedgerStore } = await import('../../ledger/embedded/ledger-store.js');
  const store = new LedgerStore(`${net.dir}/ledger`);
  await store.open();
  await store.db.put('S:asset:injected', Buffer.alloc(12));
  await store.close();
  t.match((await verifyLedger(`${net.dir}/ledger`)).mismatch?.detail, /not produced by any transaction/);
  await store.open();
  await store.db.del('S:asset:injected');
  await store.db.del('S:asset:k1');
  await store.close();
  t.match((await verifyLedger(`${net.dir}/ledger`)).mismatch?.detail, /S:asset:k1.*missing/);
});

t.test('block files: bytes past the committed end are cut off on open; missing bytes refuse to open', async (t) => {
  const net = await ledgerWithHistory();
  t.teardown(() => net.close().catch(() => undefined));
  const committed = statSync(BLOCK_FILE(net)).size;
  // A block written whose batch never landed (killed between the two): not part of the ledger.
  appendFileSync(BLOCK_FILE(net), '{"header":{"number":7,"previousHash":"x"');
  const report = await verifyLedger(`${net.dir}/ledger`);
  t.ok(report.ok, report.mismatch?.detail ?? 'verifies');
  t.equal(statSync(BLOCK_FILE(net)).size, committed, 'the partial block is cut off');

  await net.reopen();
  const client = await net.client('Org1MSP');
  await client.submit('Put', { arguments: ['k9', 'after-reopen'] });
  await net.ledger.close();
  t.ok((await verifyLedger(`${net.dir}/ledger`)).ok, 'the next block follows the committed end');

  truncateSync(BLOCK_FILE(net), statSync(BLOCK_FILE(net)).size - 10);
  await t.rejects(verifyLedger(`${net.dir}/ledger`), /blocks were lost/, 'a block file shorter than committed is refused');
});

t.test('a missing or lowered record of the block files end refuses to open and removes nothing', async (t) => {
  const net = await ledgerWithHistory();
  t.teardown(() => net.close().catch(() => undefined));
  const size = statSync(BLOCK_FILE(net)).size;
  for (const tamper of ['delete', 'lower'] as const) {
    const db = new Level<string, string>(`${net.dir}/ledger`);
    await db.open();
    const original = (await db.get('M:blockFiles')) as string;
    if (tamper === 'delete') await db.del('M:blockFiles');
    else await db.put('M:blockFiles', JSON.stringify({ file: 0, end: size - 100 }));
    await db.close();
    await t.rejects(verifyLedger(`${net.dir}/ledger`), /missing or before its newest block/, `${tamper}d: refused`);
    t.equal(statSync(BLOCK_FILE(net)).size, size, `${tamper}d: the block file is untouched`);
    const restore = new Level<string, string>(`${net.dir}/ledger`);
    await restore.open();
    await restore.put('M:blockFiles', original);
    await restore.close();
  }
  t.ok((await verifyLedger(`${net.dir}/ledger`)).ok, 'restored, it verifies');
});
