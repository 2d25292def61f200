/**
 * The ledger conformance suite (`conformance.ts`) on the embedded ledger, with the real chaincode
 * and the demo registry of a real embedded system.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memberCredentials } from '../../certs/consortium';
import { newNodeSigner } from '../../certs/signer';
import { contracts } from '../../chaincode';
import { EmbeddedLedger } from '../../ledger/embedded';
import { CHAINCODE_NAME, CHANNEL_ID } from '../../system/embedded-system';
import { startTestSystem } from '../support/system';
import { ledgerConformance } from './conformance';

const NAMES = { admin: 'AuthorityMSP', issuerA: 'AgencyAMSP', verifier: 'VerifierMSP' } as const;

t.test('ledger conformance: embedded', async (t) => {
  const ts = await startTestSystem();
  t.teardown(() => ts.close());
  const { ledger, demo } = ts.system;
  const credentials = Object.fromEntries(
    await Promise.all(Object.entries(NAMES).map(async ([name, mspId]) => [name, await memberCredentials(demo.consortium, mspId, name)] as const)),
  );
  const connect = (target: EmbeddedLedger, name: keyof typeof NAMES) => {
    const c = credentials[name] as { mspId: string; certificate: string; privateKey: string };
    return target.connect({ identity: { mspId: c.mspId, credentials: Buffer.from(c.certificate) }, signer: newNodeSigner(c.privateKey) });
  };
  await ledgerConformance(t, {
    name: 'embedded',
    ledger,
    gateway: (name) => connect(ledger, name),
    unreachable: async () => {
      // A second ledger of the same channel, closed.
      const dir = mkdtempSync(join(tmpdir(), 'lc-closed-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const closed = await EmbeddedLedger.open({
        path: dir,
        channel: { channelId: CHANNEL_ID, organisations: demo.consortium.organisations.map((org) => ({ mspId: org.mspId, rootCertificates: [org.caCertificate] })) },
        chaincodes: [{ name: CHAINCODE_NAME, version: '1.0', contracts }],
      });
      await closed.close();
      return connect(closed, 'verifier');
    },
  });
});
