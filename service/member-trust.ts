/**
 * Which organisations are members of the consortium, and whether a certificate belongs to one:
 * the same rule the ledger applies to a proposal's creator (ledger/embedded/membership.ts) — the
 * certificate chains to a root CA of the MSP it claims and both are valid now — applied to callers
 * that come over HTTP without a bearer token (signed requests, `request-signature.ts`).
 *
 * The root CAs are the channel's: in embedded mode from the ledger's genesis configuration
 * (`EmbeddedLedger.channel`), in Fabric mode from each organisation's MSP folder (`cacerts/`).
 */
import type { KeyObject } from 'node:crypto';
import { parseCertificate, verifyChain } from '../certs/certificate-info';
import { readMsp } from '../certs/msp-layout';
import { ProblemError } from './problem';

/** A member organisation and its root CA certificates (PEM), as in a channel configuration. */
export interface MemberOrganisation {
  readonly mspId: string;
  readonly rootCertificates: readonly string[];
}

/** A certificate found to belong to a member organisation. */
export interface MemberIdentity {
  readonly mspId: string;
  /** The `lc.role` attribute of the certificate (Fabric CA attribute extension), if any. */
  readonly role: string | undefined;
  /** fabric-shim's `ClientIdentity.getID()` of the certificate. */
  readonly identityId: string;
  /** SHA-256 of the DER certificate, hex. */
  readonly fingerprint: string;
  readonly publicKey: KeyObject;
}

function untrusted(detail: string): ProblemError {
  return new ProblemError('IDENTITY_UNTRUSTED', detail);
}

export class MemberTrust {
  readonly #roots = new Map<string, readonly string[]>();

  constructor(organisations: readonly MemberOrganisation[]) {
    for (const org of organisations) this.#roots.set(org.mspId, [...org.rootCertificates]);
  }

  /**
   * Fabric mode: the root CAs from each organisation's channel MSP folder (`<dir>/cacerts/*.pem`).
   * @throws CodedError `CERTS_NOT_FOUND` when a folder has no `cacerts/`.
   * @example await MemberTrust.fromMspFolders({ PortalMSP: 'crypto/organizations/PortalMSP/msp' })
   */
  static async fromMspFolders(folders: Readonly<Record<string, string>>): Promise<MemberTrust> {
    const organisations: MemberOrganisation[] = [];
    for (const [mspId, dir] of Object.entries(folders)) {
      organisations.push({ mspId, rootCertificates: (await readMsp(dir)).cacerts });
    }
    return new MemberTrust(organisations);
  }

  /** MSP ids of the member organisations. */
  get mspIds(): string[] {
    return [...this.#roots.keys()];
  }

  /**
   * The identity `certificatePem` proves for `mspId` at `at`.
   * @throws ProblemError `IDENTITY_UNTRUSTED` when `mspId` is not a member, or the certificate is
   *   malformed, not issued by one of its CAs, or not valid now.
   */
  async identify(mspId: string, certificatePem: string, at = new Date()): Promise<MemberIdentity> {
    const roots = this.#roots.get(mspId);
    if (!roots) throw untrusted(`${mspId} is not a member organisation`);
    const chain = await verifyChain(certificatePem, roots, at);
    if (!chain.ok) throw untrusted(`the certificate is refused for ${mspId}: ${chain.reason} (${chain.code})`);
    const info = parseCertificate(certificatePem);
    // A CA certificate signs certificates, not requests.
    if (info.isCA) throw untrusted('a CA certificate cannot identify a caller');
    return { mspId, role: info.attrs['lc.role'], identityId: info.clientId, fingerprint: info.fingerprint, publicKey: info.publicKey };
  }
}
