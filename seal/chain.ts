/**
 * Certificate path validation for seal makers and signers, judged at a given time (the signing
 * time), against roots the caller trusts. Revocation is not checked here: whether a signer was
 * authorised and a seal active at signing time is the ledger's answer (README flow 9).
 */
import { verify as nodeVerify } from 'node:crypto';
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import type { SealCheckCode } from './codes';
import { OID } from './oids';
import { sm2Verify } from './sm2';
import type { CertificateInfo } from './x509';

/** Trust anchors, helpers and the instant a chain is judged at. */
export interface ChainOptions {
  /** Trust anchors. A root's own signature is not checked (it is trusted by being listed). */
  readonly trustedRoots: readonly CertificateInfo[];
  /** Untrusted certificates that may complete a path. */
  readonly intermediates?: readonly CertificateInfo[];
  /** Every certificate on the path must be valid at this instant. */
  readonly at: Date;
}

/** The outcome of {@link validateChain}: a check code, a message and the path built. */
export interface ChainResult {
  readonly code: SealCheckCode;
  readonly message: string;
  /** Leaf first; ends at a trusted root when `code` is OK. */
  readonly path: readonly CertificateInfo[];
}

const MAX_DEPTH = 8;

/** Builds and checks the path from `leaf` to a trusted root. Never throws. */
export function validateChain(leaf: CertificateInfo, options: ChainOptions): ChainResult {
  return judgeChainAt(buildChain(leaf, options), options.at);
}

/**
 * The part of {@link validateChain} that does not depend on time: the path from `leaf` to a
 * trusted root, each certificate's signature verified with its issuer's key, issuers being CAs,
 * no unknown critical extension, the leaf allowed to sign. `code` OK means only the validity
 * periods remain to be judged ({@link judgeChainAt}). A pure function of the certificates' bytes
 * and of the (ordered) roots and intermediates, so it may be remembered under a key of those.
 * Never throws.
 */
export function buildChain(leaf: CertificateInfo, options: Omit<ChainOptions, 'at'>): ChainResult {
  const path: CertificateInfo[] = [leaf];
  const pool = [...options.trustedRoots, ...(options.intermediates ?? [])];
  const isRoot = (c: CertificateInfo): boolean => options.trustedRoots.some((r) => same(r.der, c.der));
  let current = leaf;
  while (!isRoot(current)) {
    if (path.length > MAX_DEPTH) return { code: 'CERT_UNTRUSTED', message: 'certificate chain too long', path };
    const candidates = pool.filter((c) => same(c.subjectName, current.issuerName) && !path.some((p) => same(p.der, c.der)));
    if (candidates.length === 0) {
      return { code: 'CERT_UNTRUSTED', message: `no trusted issuer for "${current.subject}" (issuer "${current.issuer}")`, path };
    }
    const issuer = candidates.find((c) => verifyCertificateSignature(current, c));
    if (!issuer) {
      return {
        code: 'CERT_SIGNATURE_INVALID',
        message: `signature on "${current.subject}" does not verify with the key of "${current.issuer}"`,
        path,
      };
    }
    if (!issuer.ca || (issuer.keyUsage !== undefined && (issuer.keyUsage & KeyUsageFlags.keyCertSign) === 0)) {
      return { code: 'CERT_NOT_CA', message: `"${issuer.subject}" is not a CA certificate`, path };
    }
    path.push(issuer);
    current = issuer;
  }
  for (const cert of path) {
    if (cert.unknownCriticalExtensions.length > 0) {
      return {
        code: 'CERT_UNTRUSTED',
        message: `"${cert.subject}" has unsupported critical extension(s) ${cert.unknownCriticalExtensions.join(', ')}`,
        path,
      };
    }
  }
  const signing = KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & signing) === 0) {
    return { code: 'CERT_KEY_USAGE_INVALID', message: `"${leaf.subject}" does not allow digital signatures`, path };
  }
  return { code: 'OK', message: 'path to a trusted root built; validity periods not yet judged', path };
}

/**
 * Judges a {@link buildChain} result at `at`: every certificate on the path valid at that
 * instant. A structural failure is returned as it is. Never throws.
 */
export function judgeChainAt(built: ChainResult, at: Date): ChainResult {
  if (built.code !== 'OK') return built;
  const { path } = built;
  const ms = at.getTime();
  for (const cert of path) {
    if (ms < cert.notBefore.getTime()) {
      return {
        code: 'CERT_NOT_YET_VALID_AT_SIGNING',
        message: `"${cert.subject}" valid from ${cert.notBefore.toISOString()}, checked at ${at.toISOString()}`,
        path,
      };
    }
    if (ms > cert.notAfter.getTime()) {
      return {
        code: 'CERT_EXPIRED_AT_SIGNING',
        message: `"${cert.subject}" expired ${cert.notAfter.toISOString()}, checked at ${at.toISOString()}`,
        path,
      };
    }
  }
  return { code: 'OK', message: `chain ${path.map((c) => `"${c.subject}"`).join(' <- ')} valid at ${at.toISOString()}`, path };
}

const HASH_OF: Record<string, string> = {
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  [OID.sha512WithRsa]: 'sha512',
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
};

/** True when `issuer`'s key verifies the signature on `cert`. Never throws. */
export function verifyCertificateSignature(cert: CertificateInfo, issuer: CertificateInfo): boolean {
  try {
    const key = issuer.publicKey;
    if (cert.signatureAlgorithm === OID.sm3WithSm2) {
      return key.algorithm === 'SM2' && sm2Verify(cert.tbs, cert.signature, key.point);
    }
    const hash = HASH_OF[cert.signatureAlgorithm];
    if (!hash) return false;
    const rsa = cert.signatureAlgorithm.startsWith('1.2.840.113549.');
    if (key.algorithm !== (rsa ? 'RSA' : 'ECDSA')) return false;
    return nodeVerify(hash, cert.tbs, { key: Buffer.from(key.spki), format: 'der', type: 'spki', dsaEncoding: 'der' }, cert.signature);
  } catch {
    return false;
  }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
