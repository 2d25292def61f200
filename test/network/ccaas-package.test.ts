/**
 * The ccaas chaincode package: Fabric's layout (metadata.json + code.tar.gz with connection.json),
 * byte-for-byte deterministic so the package id (label:sha256) is stable, and its CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { buildCcaasPackage, packageIdOf, readCcaasPackage, readTarGz } from '../../chaincode/ccaas-package';

const CLI = path.join(__dirname, '..', '..', 'bin', 'licensechain.js');

t.test('layout: metadata.json and code.tar.gz holding connection.json', async (t) => {
  const pkg = await buildCcaasPackage({ label: 'licensechain_1.0', address: '127.0.0.1:9999' });
  const outer = await readTarGz(pkg.bytes);
  t.same(outer.map((e) => e.name), ['metadata.json', 'code.tar.gz'], 'two entries, metadata first, no folders');
  t.same(JSON.parse(outer[0]!.data.toString()), { type: 'ccaas', label: 'licensechain_1.0' });
  const inner = await readTarGz(outer[1]!.data);
  t.same(inner.map((e) => e.name), ['connection.json']);
  t.same(JSON.parse(inner[0]!.data.toString()), { address: '127.0.0.1:9999', dial_timeout: '10s', tls_required: false });
  for (const entry of [...outer, ...inner]) {
    t.equal(entry.mtime, 0, `${entry.name}: mtime 0`);
    t.equal(entry.mode & 0o777, 0o644, `${entry.name}: mode 0644`);
  }
  t.equal(pkg.bytes.readUInt32LE(4), 0, 'gzip header without a timestamp');
});

t.test('the package id is label:sha256 of the bytes, and stable', async (t) => {
  const a = await buildCcaasPackage({ address: '127.0.0.1:9999' });
  await new Promise((r) => setTimeout(r, 1100)); // another second: no clock in the bytes
  const b = await buildCcaasPackage({ address: '127.0.0.1:9999' });
  t.ok(a.bytes.equals(b.bytes), 'byte-for-byte the same');
  t.equal(a.packageId, `licensechain_1.0:${createHash('sha256').update(a.bytes).digest('hex')}`);
  t.equal(a.packageId, packageIdOf('licensechain_1.0', a.bytes));
  const other = await buildCcaasPackage({ address: '127.0.0.1:9998' });
  t.not(other.packageId, a.packageId, 'another address, another id');
  const relabelled = await buildCcaasPackage({ label: 'licensechain_1.1', address: '127.0.0.1:9999' });
  t.match(relabelled.packageId, /^licensechain_1\.1:[0-9a-f]{64}$/);
});

t.test('refuses what Fabric would refuse', async (t) => {
  await t.rejects(buildCcaasPackage({ label: 'bad label', address: '127.0.0.1:1' }), /label/);
  await t.rejects(buildCcaasPackage({ label: '_x', address: '127.0.0.1:1' }), /label/);
  await t.rejects(buildCcaasPackage({ address: '127.0.0.1' }), /host:port/);
  await t.rejects(buildCcaasPackage({ address: '127.0.0.1:1', dialTimeout: 'soon' }), /duration/);
});

t.test('licensechain chaincode package writes the file and prints its id', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lc-ccaas-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'cc.tar.gz');
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'chaincode', 'package', '--label', 'lc_2', '--address', '127.0.0.1:7777', '--out', out]);
  const bytes = await readFile(out);
  t.equal(stdout.trim(), packageIdOf('lc_2', bytes));
  const read = await readCcaasPackage(out);
  t.same(read.metadata, { type: 'ccaas', label: 'lc_2' });
  t.same(read.connection, { address: '127.0.0.1:7777', dial_timeout: '10s', tls_required: false });
  t.equal(read.packageId, stdout.trim());
});
