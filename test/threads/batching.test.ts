import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import { packBytes, transferablesOf, unpackBytes } from '../../threads/packed-bytes';
import { SameTurnQueue } from '../../threads/same-turn-queue';

t.test('packed bytes: parts come back as they went in, empty ones included', async (t) => {
  const parts = [Buffer.from('first'), new Uint8Array(0), Buffer.from('third part'), new Uint8Array([0, 255])];
  const packed = packBytes(parts);
  t.same([...packed.ends], [5, 5, 15, 17]);
  t.equal(packed.data.length, 17);
  t.same(unpackBytes(packed).map((p) => Buffer.from(p).toString('hex')), parts.map((p) => Buffer.from(p).toString('hex')));
  t.same(packBytes([]).ends.length, 0);
  t.same(unpackBytes(packBytes([])), []);
});

t.test('packed bytes: views share the batch buffer, copies do not', async (t) => {
  const packed = packBytes([Buffer.from('ab'), Buffer.from('cd')]);
  const views = unpackBytes(packed);
  const copies = unpackBytes(packed, true);
  t.equal(views[1]?.buffer, packed.data.buffer);
  t.not(copies[1]?.buffer, packed.data.buffer);
  t.equal(copies[1]?.buffer.byteLength, 2, 'a copy holds only its own bytes');
  t.same(transferablesOf(packed), [packed.data.buffer, packed.ends.buffer]);
});

t.test('packed bytes survive a transfer to another thread', async (t) => {
  const { MessageChannel } = await import('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const packed = packBytes([Buffer.from('over'), Buffer.from('there')]);
  const received = new Promise<Uint8Array[]>((resolve) => port2.once('message', (m: { data: Uint8Array; ends: Uint32Array }) => resolve(unpackBytes(m))));
  port1.postMessage(packed, transferablesOf(packed));
  t.equal(packed.data.byteLength, 0, 'the sender gave its buffer away');
  t.same((await received).map((p) => Buffer.from(p).toString()), ['over', 'there']);
  port1.close();
  port2.close();
});

t.test('same-turn queue: one call per turn, with everything pushed in that turn', async (t) => {
  const batches: number[][] = [];
  const queue = new SameTurnQueue<number>(() => batches.push(queue.take()));
  queue.push(1);
  queue.push(2);
  queue.push(3);
  t.same(batches, [], 'nothing is sent within the turn');
  await nextTurn();
  t.same(batches, [[1, 2, 3]]);
  queue.push(4);
  await nextTurn();
  await nextTurn();
  t.same(batches, [[1, 2, 3], [4]], 'a later turn makes its own batch');
});

t.test('same-turn queue: the owner may take a share and leave the rest waiting', async (t) => {
  const taken: number[][] = [];
  const queue = new SameTurnQueue<number>(() => taken.push(queue.take(2)));
  for (const n of [1, 2, 3, 4, 5]) queue.push(n);
  await nextTurn();
  t.same(taken, [[1, 2]]);
  t.equal(queue.length, 3);
  t.same(queue.take(), [3, 4, 5]);
  t.equal(queue.length, 0);
});

t.test('same-turn queue: no call when everything was taken before the turn ended', async (t) => {
  let calls = 0;
  const queue = new SameTurnQueue<string>(() => calls++);
  queue.push('a');
  t.same(queue.take(), ['a']);
  await nextTurn();
  t.equal(calls, 0);
});
