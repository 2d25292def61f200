/**
 * A 1 GB material upload over real HTTP, generated on the fly: the gateway streams it to the
 * store while hashing it, so the process's resident memory must not grow with the file (the
 * system runs in this process, so `process.memoryUsage().rss` is the server's).
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startTestSystem } from '../support/system';
import { citizen } from './material-support';

const FILE_BYTES = 1_000_000_000;
const CHUNK = 256 * 1024;
/** The client sends views of one ring of this size, so that its own garbage does not count as the server's memory. */
const RING = 16 * 1024 * 1024;
/**
 * What the resident set may grow by while 1 GB passes: a server that held the file (or kept a
 * sixth of what passed) would grow by more; one that streams it grows by the garbage its collector
 * has not reclaimed yet. Traced at 100 ms (rss, external, heapTotal): V8 lets the old generation grow to
 * 1.5–2 × its live size before a full collection (heapTotal 90 → 130 MB, then back to 88) and lets
 * dropped Buffers reach ~50 MB before collecting them, so a streaming server peaks 54–75 MiB above
 * its start here and 103 MiB on a loaded CI machine (its collector runs behind). The bound sits
 * above that slack and far below the file.
 */
const MAX_RSS_GROWTH = 160 * 1024 * 1024;

/** The multipart body: fields, then `size` bytes of a PDF-looking file made chunk by chunk. */
function multipartBody(boundary: string, fields: Record<string, string>, size: number, hash: ReturnType<typeof createHash>): Readable {
  const head = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  const fileHead = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const ring = Buffer.alloc(RING);
  for (let i = 0; i < RING; i++) ring[i] = (i * 31 + 7) & 0xff;
  async function* generate(): AsyncGenerator<Buffer> {
    yield Buffer.from(head + fileHead);
    let sent = 0;
    let n = 0;
    while (sent < size) {
      const length = Math.min(CHUNK, size - sent);
      // A slot of the ring is rewritten only after RING / CHUNK later chunks: backpressure keeps
      // far fewer in flight, so a chunk has left for the socket before its slot is reused.
      const offset = (n * CHUNK) % RING;
      const chunk = ring.subarray(offset, offset + length);
      if (sent === 0) chunk.write('%PDF-1.7\n', 0, 'latin1');
      chunk.writeUInt32BE(n++, Math.min(16, length - 4));
      hash.update(chunk);
      sent += length;
      yield chunk;
    }
    yield Buffer.from(tail);
  }
  return Readable.from(generate(), { objectMode: false });
}

t.test('a 1 GB upload streams through in constant memory', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const holder = citizen(77);
  const boundary = `lc-${Date.now()}`;
  const hash = createHash('sm3');

  // Made before the baseline: the client's ring is not the server's memory.
  const body = multipartBody(boundary, { holderCodeType: holder.codeType, holderCode: holder.code, kind: '大文件' }, FILE_BYTES, hash);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const started = Date.now();
  const url = new URL(`${ts.gatewayUrl}/v1/materials`);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...ts.auth('portal'), 'content-type': `multipart/form-data; boundary=${boundary}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    pipeline(body, req).catch(reject);
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const seconds = (Date.now() - started) / 1000;
  t.comment(`1 GB in ${seconds.toFixed(1)} s; RSS ${Math.round(baseline / 2 ** 20)} MiB → peak ${Math.round(peak / 2 ** 20)} MiB`);

  t.equal(answer.status, 201, answer.body.slice(0, 300));
  const material = JSON.parse(answer.body) as { digest: string; size: number; mediaType: string };
  t.equal(material.size, FILE_BYTES);
  t.equal(material.digest, `sm3:${hash.digest('hex')}`, 'the digest of every byte sent');
  t.equal(material.mediaType, 'application/pdf');
  const hex = material.digest.slice(4);
  t.equal(statSync(join(ts.dataDir, 'gateway', 'materials', hex.slice(0, 2), hex.slice(2))).size, FILE_BYTES, 'stored whole');
  t.ok(peak - baseline < MAX_RSS_GROWTH, `RSS grew by ${Math.round((peak - baseline) / 2 ** 20)} MiB (< ${MAX_RSS_GROWTH / 2 ** 20} MiB)`);
  t.ok(seconds < 120, 'within two minutes');
});
