/** Finding Fabric: FABRIC_BIN, else PATH; its config folder; one clear error naming what is missing. */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { fabricMissing, FabricNotFoundError, findFabric } from '../../network/binaries';

async function fakeFabric(t: { teardown(fn: () => unknown): void }, programs: string[], configIn: 'sibling' | 'inside' | 'none'): Promise<{ root: string; bin: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'lc-fabric-bin-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  for (const p of programs) {
    await writeFile(path.join(bin, p), '#!/bin/sh\n');
    await chmod(path.join(bin, p), 0o755);
  }
  if (configIn !== 'none') {
    const config = configIn === 'sibling' ? path.join(root, 'config') : path.join(bin, 'config');
    await mkdir(config);
    for (const f of ['core.yaml', 'orderer.yaml', 'configtx.yaml']) await writeFile(path.join(config, f), '{}\n');
  }
  return { root, bin };
}

const ALL = ['peer', 'orderer', 'configtxgen', 'osnadmin'];

t.test('FABRIC_BIN with the release archive layout (bin/ + config/)', async (t) => {
  const { root, bin } = await fakeFabric(t, ALL, 'sibling');
  const found = findFabric({ FABRIC_BIN: bin, PATH: '' });
  t.equal(found.programs.peer, path.join(bin, 'peer'));
  t.equal(found.configDir, path.join(root, 'config'));
});

t.test('PATH, with the config folder inside the bin folder; FABRIC_CFG_PATH wins', async (t) => {
  const { bin } = await fakeFabric(t, ALL, 'inside');
  t.equal(findFabric({ PATH: `/nonexistent:${bin}` }).configDir, path.join(bin, 'config'));
  const other = await fakeFabric(t, [], 'sibling');
  t.equal(findFabric({ PATH: bin, FABRIC_CFG_PATH: path.join(other.root, 'config') }).configDir, path.join(other.root, 'config'));
});

t.test('missing programs: one message naming each and pointing to the README', async (t) => {
  const { bin } = await fakeFabric(t, ['peer', 'orderer'], 'sibling');
  const error = t.throws(() => findFabric({ FABRIC_BIN: bin, PATH: '' })) as unknown as FabricNotFoundError;
  t.ok(error instanceof FabricNotFoundError);
  t.same(error.missing, ['configtxgen', 'osnadmin']);
  t.match(error.message, /configtxgen, osnadmin/);
  t.match(error.message, /README\.md, section "Fabric mode"/);
  t.match(fabricMissing({ PATH: '' }) ?? '', /peer, orderer, configtxgen, osnadmin.*FABRIC_BIN is not set/);
});

t.test('a missing config folder is named too', async (t) => {
  const { bin } = await fakeFabric(t, ALL, 'none');
  t.throws(() => findFabric({ FABRIC_BIN: bin, PATH: '' }), /config folder .*FABRIC_CFG_PATH/);
});
