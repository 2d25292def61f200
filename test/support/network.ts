/**
 * A test network: an embedded ledger in a temporary folder, one CA per organisation, and
 * clients for identities issued on demand — real certificates, real signatures, real LevelDB.
 *
 *   const net = await startTestNetwork({ organisations: [{ mspId: 'AuthorityMSP' }] });
 *   const admin = await net.client('AuthorityMSP', { name: 'root', role: 'admin' });
 *   await admin.submit('registry:Bootstrap');
 *   await net.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../certs/certificate-authority';
import type { Credentials } from '../../certs/credentials';
import { newNodeSigner } from '../../certs/signer';
import type { Contract, Gateway } from '../../ledger/client';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from '../../ledger/embedded';
import type { BlockCutterOptions } from '../../ledger/embedded/block-cutter';

const { ClientIdentity } = require('fabric-shim') as {
  ClientIdentity: new (stub: unknown) => { getID(): string };
};

export interface TestOrganisation {
  readonly mspId: string;
  readonly name?: string;
}

export interface StartTestNetworkOptions {
  readonly organisations: readonly TestOrganisation[];
  /** Contract classes; default: LicenseChain's chaincode (`chaincode/index.ts`). */
  readonly contracts?: readonly unknown[];
  readonly chaincodeName?: string;
  readonly blockCutter?: Partial<BlockCutterOptions>;
  /** Reuse a folder (e.g. to reopen a ledger); default: a new temporary folder, removed on close. */
  readonly dir?: string;
}

export interface ClientOptions {
  /** Common name of the identity (default: `user<N>`). */
  readonly name?: string;
  /** `lc.role` attribute. */
  readonly role?: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface TestClient extends Contract {
  readonly credentials: Credentials;
  readonly gateway: Gateway;
}

export class TestNetwork {
  readonly dir: string;
  ledger: EmbeddedLedger;
  readonly cas: ReadonlyMap<string, CertificateAuthority>;
  readonly #options: StartTestNetworkOptions;
  readonly #ownsDir: boolean;
  #counter = 0;

  constructor(dir: string, ownsDir: boolean, ledger: EmbeddedLedger, cas: Map<string, CertificateAuthority>, options: StartTestNetworkOptions) {
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.ledger = ledger;
    this.cas = cas;
    this.#options = options;
  }

  /** A new identity of `mspId` (issued by its CA) connected to the ledger. */
  async client(mspId: string, options: ClientOptions = {}): Promise<TestClient> {
    const ca = this.cas.get(mspId);
    if (!ca) throw new Error(`no test organisation ${mspId}`);
    const attrs = { ...(options.role ? { 'lc.role': options.role } : {}), ...options.attrs };
    const credentials = await ca.issueIdentity({
      commonName: options.name ?? `user${++this.#counter}`,
      attrs,
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    });
    return this.connect(credentials);
  }

  /** Connects existing credentials (possibly from a CA that is not a member). */
  connect(credentials: Credentials): TestClient {
    const gateway = this.ledger.connect({
      identity: { mspId: credentials.mspId, credentials: Buffer.from(credentials.certificate) },
      signer: newNodeSigner(credentials.privateKey),
    });
    const contract = gateway.getContract();
    return {
      credentials,
      gateway,
      submit: (name, options) => contract.submit(name, options),
      evaluate: (name, options) => contract.evaluate(name, options),
    };
  }

  /** The ID fabric-shim's ClientIdentity gives this client (`x509::/…::/…`). */
  identityId(client: TestClient): string {
    const stub = {
      getCreator: () => ({ mspid: client.credentials.mspId, idBytes: Buffer.from(client.credentials.certificate) }),
      getChannelID: () => 'test',
      getTxID: () => 'test',
    };
    return new ClientIdentity(stub).getID();
  }

  /** Closes the ledger and opens it again from disk (clients must be re-created). */
  async reopen(): Promise<void> {
    await this.ledger.close();
    this.ledger = await openLedger(this.dir, [...this.cas.values()], this.#options);
  }

  async close(): Promise<void> {
    await this.ledger.close();
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startTestNetwork(options: StartTestNetworkOptions): Promise<TestNetwork> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'lc-net-'));
  const cas = new Map<string, CertificateAuthority>();
  for (const org of options.organisations) {
    cas.set(org.mspId, await CertificateAuthority.create({ mspId: org.mspId, organisation: org.name ?? org.mspId }));
  }
  const ledger = await openLedger(dir, [...cas.values()], options);
  return new TestNetwork(dir, ownsDir, ledger, cas, options);
}

function openLedger(dir: string, cas: CertificateAuthority[], options: StartTestNetworkOptions): Promise<EmbeddedLedger> {
  const contracts = options.contracts ?? (require('../../chaincode') as { contracts: unknown[] }).contracts;
  const ledgerOptions: EmbeddedLedgerOptions = {
    path: join(dir, 'ledger'),
    channel: {
      channelId: 'licensechain',
      organisations: cas.map((ca) => ({ mspId: ca.mspId, rootCertificates: [ca.certificate] })),
    },
    chaincodes: [{ name: options.chaincodeName ?? 'licensechain', version: '1.0', contracts }],
    blockCutter: { maxTransactions: 100, timeoutMs: 5, ...options.blockCutter },
    sync: false,
  };
  return EmbeddedLedger.open(ledgerOptions);
}

/** Decodes a chaincode result as JSON. */
export function json<T = unknown>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
}
