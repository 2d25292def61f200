/**
 * The network's PKI, from our own certs/ (no cryptogen, no Fabric CA): the demo consortium's
 * organisations and principals (system/demo-consortium.ts, same names and `lc.role` attributes, so
 * the same principals and tokens map to the same identities), extended with what Fabric needs:
 * a peer for each organisation of PEER_ORGANISATIONS, an admin-OU identity (`fabric-admin`) in
 * each organisation that runs a node (channel joins and chaincode lifecycle need a local MSP
 * admin), and OrdererMSP with one orderer.
 *
 * createConsortium is idempotent: an existing consortium folder (e.g. the embedded system's
 * `data/consortium`) is completed, never reissued.
 */
import { createConsortium, type Consortium, type ConsortiumSpec, type OrganisationSpec } from '../certs/consortium';
import { DEMO_ORGANISATIONS, DEMO_PRINCIPALS } from '../system/demo-consortium';
import { NODE_ADMIN, ORDERER_MSP, ordererHost, peerHost, PEER_ORGANISATIONS } from './layout';

const NODE_ADMIN_IDENTITY = { name: NODE_ADMIN, nodeOU: 'admin' } as const;

/** The consortium spec of the Fabric network. */
export function networkConsortiumSpec(): ConsortiumSpec {
  const peerOrgs = new Set<string>(PEER_ORGANISATIONS);
  const applicationOrgs: OrganisationSpec[] = DEMO_ORGANISATIONS.map((org) => {
    const runsPeer = peerOrgs.has(org.mspId);
    return {
      mspId: org.mspId,
      name: org.name,
      identities: [
        ...DEMO_PRINCIPALS.filter((p) => p.mspId === org.mspId).map((p) => ({ name: p.name, role: p.role })),
        ...(runsPeer ? [NODE_ADMIN_IDENTITY] : []),
      ],
      ...(runsPeer ? { peers: [peerHost(org.mspId)] } : {}),
    };
  });
  for (const mspId of PEER_ORGANISATIONS) {
    if (!applicationOrgs.some((o) => o.mspId === mspId)) throw new Error(`peer organisation ${mspId} is not a demo organisation`);
  }
  return {
    organisations: [
      ...applicationOrgs,
      { mspId: ORDERER_MSP, name: 'LicenseChain Ordering Service', identities: [NODE_ADMIN_IDENTITY], orderers: [ordererHost()] },
    ],
  };
}

/** The application organisations (every demo organisation), in the demo's order. */
export function applicationMspIds(): string[] {
  return DEMO_ORGANISATIONS.map((o) => o.mspId);
}

/** Creates or completes the network's consortium in `dir`. */
export function ensureNetworkConsortium(dir: string): Promise<Consortium> {
  return createConsortium(dir, networkConsortiumSpec());
}
