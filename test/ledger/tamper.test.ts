import t from 'tap';
import { verifyLedger } from '../../ledger/embedded';
import { blockKey } from '../../ledger/embedded/keys';
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
  ['a byte of a transaction inside a block', (net) => flip(net, blockKey(3), (v) => v.indexOf('"proposal"') + 40), /block 3|transaction/],
  ['a block header field', (net) => flip(net, blockKey(2), (v) => v.indexOf('"previousHash":"') + 20), /block 2/],
  ['a validation code in block metadata', (net) => flip(net, blockKey(4), (v) => v.indexOf('"validationCodes":[') + 19), /block 4/],
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
