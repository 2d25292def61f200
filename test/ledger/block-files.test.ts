/**
 * The embedded ledger's block files on their own: blocks roll over into new files, every
 * committed block reads back byte for byte (with more files than read handles kept open), and
 * reopening at a committed end drops what was written after it — in the last file and in later ones.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BlockFiles, decodeLocation, encodeLocation, type BlockLocation } from '../../ledger/embedded/block-files';

const block = (n: number): Buffer => Buffer.from(`{"block":${n},"pad":"${'x'.repeat(100 + (n % 7) * 40)}"}`);

t.test('blocks roll over into new files and read back from any of them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-blockfiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = BlockFiles.open(dir, undefined, { maxFileBytes: 1000 });
  const locations: BlockLocation[] = [];
  for (let n = 0; n < 60; n++) {
    const location = await files.write(block(n), true);
    files.commit(location);
    locations.push(location);
  }
  const names = readdirSync(dir).sort();
  t.ok(names.length >= 10, `${names.length} files`);
  t.equal(names[0], 'blockfile_000000');
  for (const name of names) t.ok(statSync(join(dir, name)).size <= 1000, `${name} within its size`);
  // Read in an order that opens every file and comes back to early ones (more files than kept handles).
  for (const n of [59, 0, 30, 1, 58, 12, 45, 3]) t.same(await files.read(locations[n] as BlockLocation), block(n), `block ${n}`);
  const all = await Promise.all(locations.map((l) => files.read(l)));
  t.ok(all.every((bytes, n) => bytes.equals(block(n))), 'every block, read concurrently');
  t.same(decodeLocation(encodeLocation(locations[41] as BlockLocation)), locations[41], 'a location survives its index encoding');
  t.equal(decodeLocation(block(1)), undefined, 'a block stored inline is not a location');
  await files.close();
});

t.test('reopening at a committed end drops later bytes and later files; missing bytes refuse', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-blockfiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = BlockFiles.open(dir, undefined, { maxFileBytes: 1000 });
  const locations: BlockLocation[] = [];
  for (let n = 0; n < 20; n++) {
    const location = await files.write(block(n), false);
    files.commit(location);
    locations.push(location);
  }
  // Written but never committed (the batch did not land): the next write takes its place.
  const orphan = await files.write(Buffer.from('{"never":"committed"}'), false);
  const next = await files.write(block(20), false);
  t.same([next.file, next.offset], [orphan.file, orphan.offset], 'an uncommitted write is overwritten');
  files.commit(next);
  await files.close();

  const kept = locations[9] as BlockLocation;
  const end = { file: kept.file, end: kept.offset + kept.length };
  const reopened = BlockFiles.open(dir, end, { maxFileBytes: 1000 });
  t.same(reopened.end, end);
  t.equal(statSync(join(dir, `blockfile_${String(kept.file).padStart(6, '0')}`)).size, end.end, 'the last file is cut at the committed end');
  t.notOk(existsSync(join(dir, `blockfile_${String(kept.file + 1).padStart(6, '0')}`)), 'later files are removed');
  t.same(await reopened.read(kept), block(9));
  const after = await reopened.write(block(10), false);
  const expected = after.file === kept.file ? [kept.file, end.end] : [kept.file + 1, 0];
  t.same([after.file, after.offset], expected, 'the next block follows the committed end (or starts the next file)');
  await reopened.close();

  t.throws(() => BlockFiles.open(dir, { file: kept.file, end: end.end + 500 }), /blocks were lost/);
});

t.test('bytes of a failed commit never stay behind a later committed block', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-blockfiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = BlockFiles.open(dir, undefined, { maxFileBytes: 1000 });
  const size = (n: number): number => statSync(join(dir, `blockfile_${String(n).padStart(6, '0')}`)).size;
  let last = await files.write(Buffer.alloc(900, 1), false);
  files.commit(last);
  // Too big for file 0: written at the start of file 1, and its batch fails (never committed).
  await files.write(Buffer.alloc(500, 2), false);
  // A small block still fits in file 0 and commits there.
  last = await files.write(Buffer.alloc(50, 3), false);
  files.commit(last);
  t.same([last.file, last.offset], [0, 900]);
  // The next block rolls over to file 1: the failed commit's 500 bytes do not stay after it.
  last = await files.write(Buffer.alloc(100, 4), false);
  files.commit(last);
  t.same([last.file, last.offset], [1, 0]);
  t.equal(size(1), 100, 'file 1 holds only the committed block');
  // A failed write past the end of file 1, then a roll-over: file 1 is cut to its committed end.
  await files.write(Buffer.alloc(800, 5), false);
  last = await files.write(Buffer.alloc(950, 6), false);
  files.commit(last);
  t.same([last.file, last.offset], [2, 0]);
  t.equal(size(1), 100, 'file 1 keeps nothing past its committed end');
  await files.close();
});
