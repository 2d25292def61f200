/**
 * The repository's ccaas external builder (network/builders/ccaas/bin): detect, build and release
 * behave as Fabric's ccaas_builder, run as the peer runs them (argument folders, exit codes).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';

const BIN = path.join(__dirname, '..', '..', '..', 'network', 'builders', 'ccaas', 'bin');

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    // Run as the peer does: the script itself (its #! line), not through node.
    execFile(path.join(BIN, script), args, { env: { PATH: process.env.PATH, ...env } }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
    });
  });
}

async function folders(t: { teardown(fn: () => unknown): void }): Promise<{ source: string; metadata: string; output: string; release: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lc-builder-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const f = { source: path.join(dir, 'src'), metadata: path.join(dir, 'meta'), output: path.join(dir, 'bld'), release: path.join(dir, 'rel') };
  for (const d of Object.values(f)) await mkdir(d);
  return f;
}

const CONNECTION = { address: '127.0.0.1:9999', dial_timeout: '10s', tls_required: false };

t.test('detect: ccaas (any case) and remote yes, anything else no', async (t) => {
  const f = await folders(t);
  t.equal((await run('detect', [f.source, f.metadata])).code, 1, 'no metadata.json');
  for (const [type, code] of [['ccaas', 0], ['CCaaS', 0], ['remote', 0], ['node', 1], ['golang', 1]] as const) {
    await writeFile(path.join(f.metadata, 'metadata.json'), JSON.stringify({ type, label: 'x' }));
    t.equal((await run('detect', [f.source, f.metadata])).code, code, `type ${type}`);
  }
  await writeFile(path.join(f.metadata, 'metadata.json'), '{not json');
  t.equal((await run('detect', [f.source, f.metadata])).code, 1, 'malformed metadata');
  t.equal((await run('detect', [])).code, 1, 'too few arguments');
});

t.test('build: metadata, META-INF and connection.json to the output; release: connection.json where the peer looks', async (t) => {
  const f = await folders(t);
  await writeFile(path.join(f.metadata, 'metadata.json'), JSON.stringify({ type: 'ccaas', label: 'lc' }));
  await writeFile(path.join(f.source, 'connection.json'), JSON.stringify(CONNECTION));
  await mkdir(path.join(f.source, 'META-INF', 'statedb', 'couchdb', 'indexes'), { recursive: true });
  await writeFile(path.join(f.source, 'META-INF', 'statedb', 'couchdb', 'indexes', 'i.json'), '{}');
  const built = await run('build', [f.source, f.metadata, f.output]);
  t.equal(built.code, 0, built.stderr);
  t.same(JSON.parse(await readFile(path.join(f.output, 'connection.json'), 'utf8')), {
    ...CONNECTION,
    client_auth_required: false,
    root_cert: '',
    client_key: '',
    client_cert: '',
  });
  t.ok(existsSync(path.join(f.output, 'metadata.json')), 'metadata copied');
  t.ok(existsSync(path.join(f.output, 'META-INF', 'statedb', 'couchdb', 'indexes', 'i.json')), 'META-INF copied');

  const released = await run('release', [f.output, f.release]);
  t.equal(released.code, 0, released.stderr);
  t.same(JSON.parse(await readFile(path.join(f.release, 'chaincode', 'server', 'connection.json'), 'utf8')).address, '127.0.0.1:9999');
  t.ok(existsSync(path.join(f.release, 'statedb', 'couchdb', 'indexes', 'i.json')), 'state database indexes released');
});

t.test('build: templates filled from CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG; refusals', async (t) => {
  const f = await folders(t);
  await writeFile(path.join(f.metadata, 'metadata.json'), JSON.stringify({ type: 'ccaas' }));
  await writeFile(path.join(f.source, 'connection.json'), JSON.stringify({ ...CONNECTION, address: '{{.host}}:9999' }));
  const config = { CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: JSON.stringify({ host: 'cc.example' }) };
  t.equal((await run('build', [f.source, f.metadata, f.output], config)).code, 0);
  t.equal(JSON.parse(await readFile(path.join(f.output, 'connection.json'), 'utf8')).address, 'cc.example:9999');
  const missingKey = await run('build', [f.source, f.metadata, f.output], { CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: '{}' });
  t.equal(missingKey.code, 1, 'a template key missing from the config');
  t.match(missingKey.stderr, /host/);

  await writeFile(path.join(f.metadata, 'metadata.json'), JSON.stringify({ type: 'node' }));
  t.equal((await run('build', [f.source, f.metadata, f.output])).code, 1, 'not ccaas');
  await writeFile(path.join(f.metadata, 'metadata.json'), JSON.stringify({ type: 'ccaas' }));
  await rm(path.join(f.source, 'connection.json'));
  t.equal((await run('build', [f.source, f.metadata, f.output])).code, 1, 'no connection.json');
  await rm(path.join(f.output, 'connection.json'));
  t.equal((await run('release', [f.output, f.release])).code, 1, 'release without connection.json');
});
