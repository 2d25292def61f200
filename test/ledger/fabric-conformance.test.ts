/**
 * The ledger conformance suite (`conformance.ts`) on Fabric: the very checks the embedded ledger
 * passes, through `ledger/fabric/` against a real network. Run by test/conformance/fabric.test.ts
 * (which brings a network up and sets `LC_TEST_LEDGER=fabric` and `LC_FABRIC_DIR`); on its own it
 * is skipped with one line.
 */
import t from 'tap';
import { join } from 'node:path';
import { loadConsortium, memberCredentials } from '../../certs/consortium';
import { newNodeSigner } from '../../certs/signer';
import type { ConnectOptions } from '../../ledger/client';
import { FabricLedger, fabricLedgerOptions, readFabricNetwork } from '../../ledger/fabric';
import { ledgerConformance } from './conformance';

const NAMES = { admin: 'AuthorityMSP', issuerA: 'AgencyAMSP', verifier: 'VerifierMSP' } as const;

if (process.env.LC_TEST_LEDGER !== 'fabric' || !process.env.LC_FABRIC_DIR) {
  t.plan(0, 'skipped: run by test/conformance/fabric.test.ts against a Fabric network (LC_TEST_LEDGER=fabric, LC_FABRIC_DIR)');
} else {
  t.test('ledger conformance: fabric', async (t) => {
    const network = await readFabricNetwork(join(process.env.LC_FABRIC_DIR as string, 'network.json'));
    const consortium = await loadConsortium(network.consortiumDir);
    const identities = new Map<string, ConnectOptions>();
    for (const [name, mspId] of Object.entries(NAMES)) {
      const c = await memberCredentials(consortium, mspId, name);
      identities.set(name, { identity: { mspId, credentials: Buffer.from(c.certificate) }, signer: newNodeSigner(c.privateKey) });
    }
    const reader = identities.get('admin') as ConnectOptions;
    // Each principal through its organisation's peer, as the Fabric system connects them.
    const ledgers = new Map<string, FabricLedger>();
    for (const mspId of new Set(Object.values(NAMES))) {
      const ledger = new FabricLedger(await fabricLedgerOptions(network, mspId, { reader }));
      ledgers.set(mspId, ledger);
      t.teardown(() => ledger.close());
    }
    const unreachable: FabricLedger[] = [];
    t.teardown(async () => {
      for (const ledger of unreachable) await ledger.close();
    });
    await ledgerConformance(t, {
      name: 'fabric',
      ledger: ledgers.get('AuthorityMSP') as FabricLedger,
      gateway: (name) => (ledgers.get(NAMES[name]) as FabricLedger).connect(identities.get(name) as ConnectOptions),
      unreachable: async () => {
        // The verifier's peer settings, but a port where nothing listens.
        const options = await fabricLedgerOptions(network, NAMES.verifier, { reader, deadlines: { evaluate: 2_000 } });
        const ledger = new FabricLedger({ ...options, peerEndpoint: '127.0.0.1:1' });
        unreachable.push(ledger);
        return ledger.connect(identities.get('verifier') as ConnectOptions);
      },
    });
  });
}
