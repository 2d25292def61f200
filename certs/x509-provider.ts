/**
 * The one place that wires @peculiar/x509 to Node's WebCrypto. @peculiar/x509 keeps a global
 * provider; every certs/ module imports `x509` from here so the provider is set before first use.
 * Setting it again elsewhere to the same `webcrypto` is harmless.
 */
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509, webcrypto };

/** ECDSA P-256 key generation parameters (Fabric MSP identities up to Fabric 2.5). */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** ECDSA with SHA-256, the signature algorithm of every certificate certs/ issues. */
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Wraps DER bytes in a PEM block with 64-character lines and a final newline. */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER bytes of the first PEM block with `label`, or undefined when there is none. */
export function fromPem(pem: string, label: string): Buffer | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  return match ? Buffer.from((match[1] as string).replace(/\s+/g, ''), 'base64') : undefined;
}
