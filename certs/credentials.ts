/** What an identity needs to transact: the types shared by every file of certs/. */

/**
 * An identity's credentials, as PEM strings: the X.509 certificate and its PKCS#8 private key,
 * with the MSP (organisation) it belongs to. The MSP ID is not written in the certificate —
 * Fabric configures it per MSP — so it travels beside it.
 */
export interface Credentials {
  readonly mspId: string;
  /** X.509 certificate, PEM. */
  readonly certificate: string;
  /** PKCS#8 private key, PEM (label `PRIVATE KEY`). */
  readonly privateKey: string;
}

/**
 * Fabric NodeOU classifications. An identity's class is the OU of its certificate's subject; an
 * MSP with NodeOUs enabled (msp/config.yaml) maps these OU values to client, peer, admin and
 * orderer roles.
 */
export type NodeOU = 'client' | 'peer' | 'orderer' | 'admin';

/** All NodeOU values, in the order Fabric's config.yaml lists them. */
export const NODE_OUS: readonly NodeOU[] = ['client', 'peer', 'admin', 'orderer'];

/** True when `value` is one of the NodeOU classifications. */
export function isNodeOU(value: unknown): value is NodeOU {
  return typeof value === 'string' && (NODE_OUS as readonly string[]).includes(value);
}
