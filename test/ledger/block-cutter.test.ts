import t from 'tap';
import { BlockCutter } from '../../ledger/embedded/block-cutter';

function recorder(commitMs = 0) {
  const blocks: number[][] = [];
  const commit = async (batch: number[]): Promise<void> => {
    blocks.push(batch);
    if (commitMs) await new Promise((r) => setTimeout(r, commitMs));
  };
  return { blocks, commit };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('cuts by count', async (t) => {
  const { blocks, commit } = recorder();
  const cutter = new BlockCutter({ maxTransactions: 3, timeoutMs: 10_000, cutWhenIdle: false }, commit);
  for (let i = 0; i < 7; i++) cutter.enqueue(i);
  await tick(5);
  t.same(blocks, [[0, 1, 2], [3, 4, 5]], 'two full blocks; the seventh waits');
  await cutter.drain();
  t.same(blocks.at(-1), [6], 'drain cuts the rest');
});

t.test('cuts by timeout, measured from the oldest pending transaction', async (t) => {
  const { blocks, commit } = recorder();
  const cutter = new BlockCutter({ maxTransactions: 100, timeoutMs: 30, cutWhenIdle: false }, commit);
  cutter.enqueue(1);
  await tick(15);
  cutter.enqueue(2);
  t.same(blocks, [], 'nothing before the timeout');
  await tick(25);
  t.same(blocks, [[1, 2]], 'one block once the first has waited 30 ms');
});

t.test('cut when idle: the first transaction goes at once, later ones group behind the commit', async (t) => {
  const { blocks, commit } = recorder(20);
  const cutter = new BlockCutter({ maxTransactions: 100, timeoutMs: 10_000, cutWhenIdle: true }, commit);
  cutter.enqueue(1);
  t.same(blocks, [[1]], 'cut immediately');
  cutter.enqueue(2);
  cutter.enqueue(3);
  t.equal(cutter.pending, 2, 'waiting while block 1 commits');
  await cutter.drain();
  t.same(blocks, [[1], [2, 3]], 'grouped into the next block');
});
