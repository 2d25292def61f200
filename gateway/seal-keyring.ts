/**
 * The seal keyring: per organisation, the seals it owns and the software signers (SealSigner) the
 * gateway holds for them, kept in the data folder. A seal whose signing key lives elsewhere (a
 * USBKey, an HSM, a signing server) can be registered on the ledger, but the keyring holds no
 * signer for it and the gateway never picks it to sign.
 *
 * Layout under `<dataDir>/seals/` (keys and certificates of a seal's PKI are 0600):
 * - `<mspId>/pki/sm2-ca.{pem,key}`, `sm2-maker.{pem,key}`  the organisation's GB/T 38540 seal CA and maker
 * - `<mspId>/pki/rsa-ca.{pem,key}`                         its RSA CA for PKCS#7 seals (made when first needed)
 * - `<mspId>/seals/<sealId>/seal.json`                     what the ledger records (name, kind, format, window, digests)
 * - `<mspId>/seals/<sealId>/seal.der`                      GB/T 38540: the SESeal; PKCS#7: the canonical seal descriptor
 * - `<mspId>/seals/<sealId>/signer.{pem,key}`              the signer certificate and key the gateway holds (if any)
 * - `trust/<mspId>-{sm2,rsa}.pem`                          seal root CA certificates: {@link loadSealTrustRoots}
 *
 * Registering a seal is two-phase, so that nothing is left behind a ledger refusal: `prepare`
 * makes keys, certificates and the seal in memory; the caller submits `seal:Apply`; `commit`
 * writes the files. An organisation's PKI is made once (kept in memory until its first commit).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalBytes } from '../domain/canonical-json';
import { CodedError } from '../domain/coded-error';
import { digestOf } from '../domain/digest';
import {
  certificateFingerprint,
  createRootCa,
  exportPrivateKeyPem,
  fromPem,
  importPrivateKeyPem,
  inspectSeal,
  issueCertificate,
  makeSeal,
  newSoftwareSigner,
  parseCertificate,
  toPem,
  writePrivateFile,
  type CertifiedKey,
  type SealPrivateKey,
  type SealSigner,
} from '../seal';

export type SealFormat = 'GBT38540' | 'PKCS7';

/** Format tag of the descriptor that stands for a PKCS#7 seal (which has no SESeal of its own). */
export const PKCS7_SEAL_DESCRIPTOR_FORMAT = 'licensechain/pkcs7-seal@1';

/** What the ledger records about a seal (`seal:Apply` input), plus where it came from. */
export interface SealMeta {
  readonly sealId: string;
  readonly ownerMsp: string;
  readonly name: string;
  readonly kind: string;
  readonly format: SealFormat;
  /** `sm3:<hex>` SM3 fingerprints of the signer certificates listed in the seal. */
  readonly certFingerprints: readonly string[];
  /** `sm3:<hex>` of `seal.der` (the SESeal, or the PKCS#7 seal descriptor). */
  readonly sealDigest: string;
  /** RFC 3339 UTC, whole seconds. */
  readonly validStart: string;
  readonly validEnd: string;
  readonly createdAt: string;
}

/** A seal in the keyring. */
export interface KeyringSeal extends SealMeta {
  /** GB/T 38540: the SESeal DER embedded in every signature. PKCS#7: the descriptor bytes. */
  readonly sealBytes: Uint8Array;
  /** DER signer certificates listed in the seal. */
  readonly signerCertificates: readonly Uint8Array[];
  /** The signer the gateway holds, or undefined when the key is held elsewhere. */
  readonly signer: SealSigner | undefined;
}

/** A seal made in memory, not yet written. */
export interface PreparedSeal {
  readonly seal: KeyringSeal;
  readonly signerKeyPem: string | undefined;
}

export interface PrepareSealRequest {
  readonly ownerMsp: string;
  /** Organisation name, for certificate subjects. */
  readonly orgName: string;
  /** Default: `seal-<32 hex>`. */
  readonly sealId?: string;
  readonly name: string;
  readonly kind: string;
  readonly format: SealFormat;
  readonly validStart: Date;
  readonly validEnd: Date;
  /** PNG bytes of the seal picture. */
  readonly picture: Uint8Array;
  /** Picture size in millimetres (default 40). */
  readonly pictureMm?: number;
  /**
   * DER signer certificates whose keys are held elsewhere. When absent or empty the keyring
   * generates a signer key (SM2 for GB/T 38540, RSA for PKCS#7), certifies it with the
   * organisation's seal CA and holds it: the way an organisation registers a seal this gateway
   * signs with.
   */
  readonly signerCertificates?: readonly Uint8Array[];
}

export interface SealKeyringOptions {
  /**
   * Makes the signer of a software key the keyring holds (a seal's signer key, generated or read
   * from `signer.key`). Default: {@link newSoftwareSigner}, signing on the calling thread; a
   * `SignerPool`'s `signer` signs on worker threads (what the services use).
   */
  readonly signerFactory?: (certificate: Uint8Array, privateKey: SealPrivateKey) => SealSigner;
}

interface OrgPki {
  sm2Ca: CertifiedKey;
  maker: CertifiedKey;
  rsaCa: CertifiedKey | undefined;
  /** Files written for: sm2 (CA + maker), rsa (RSA CA). */
  written: { sm2: boolean; rsa: boolean };
}

const SEAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TRUST_DIR = 'trust';

/** The folder of seal material under a system data folder. */
export function sealsDir(dataDir: string): string {
  return join(dataDir, 'seals');
}

/**
 * The seal root CA certificates (DER) every organisation's seal PKI chains to, as written by the
 * keyring: what a verifier passes as `trustedRoots` to `verifySealSignature`. Read afresh on
 * every call (a new organisation's CA appears when it registers its first seal).
 * @param dataDir the system data folder (`LC_DATA_DIR`), not the gateway's.
 */
export function loadSealTrustRoots(dataDir: string): Uint8Array[] {
  const dir = join(sealsDir(dataDir), TRUST_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.pem'))
    .sort()
    .flatMap((name) => fromPem(readFileSync(join(dir, name), 'utf8'), 'CERTIFICATE'));
}

function iso(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function sm3Of(bytes: Uint8Array): string {
  return digestOf(bytes, 'sm3');
}

async function writeAtomically(path: string, data: string | Uint8Array, secret: boolean): Promise<void> {
  const temporary = `${path}.tmp`;
  if (secret) await writePrivateFile(temporary, data);
  else await writeFile(temporary, data);
  await rename(temporary, path);
}

function readCertifiedKey(dir: string, base: string): CertifiedKey | undefined {
  const certPath = join(dir, `${base}.pem`);
  const keyPath = join(dir, `${base}.key`);
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  const certificate = fromPem(readFileSync(certPath, 'utf8'), 'CERTIFICATE')[0];
  if (!certificate) return undefined;
  return { certificate, privateKey: importPrivateKeyPem(readFileSync(keyPath, 'utf8')) };
}

/**
 * Seals and signers per organisation. Open with {@link SealKeyring.open}.
 * @example
 * const keyring = await SealKeyring.open(dataDir);
 * const prepared = await keyring.prepare({ ownerMsp: 'AgencyAMSP', orgName, name, kind, format: 'GBT38540', validStart, validEnd, picture });
 * await submit(app, issuer, 'seal:Apply', applyInput(prepared.seal));
 * await keyring.commit(prepared);
 */
export class SealKeyring {
  /** `<dataDir>/seals`. */
  readonly root: string;
  readonly #pki = new Map<string, OrgPki>();
  readonly #seals = new Map<string, KeyringSeal>();
  /** Serialises PKI creation per organisation. */
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #newSigner: (certificate: Uint8Array, privateKey: SealPrivateKey) => SealSigner;

  private constructor(root: string, options: Readonly<SealKeyringOptions>) {
    this.root = root;
    this.#newSigner = options.signerFactory ?? newSoftwareSigner;
  }

  /** Loads every organisation's PKI and seals under `<dataDir>/seals`. */
  static async open(dataDir: string, options: Readonly<SealKeyringOptions> = {}): Promise<SealKeyring> {
    const keyring = new SealKeyring(sealsDir(dataDir), options);
    mkdirSync(join(keyring.root, TRUST_DIR), { recursive: true, mode: 0o700 });
    for (const mspId of readdirSync(keyring.root)) {
      if (mspId === TRUST_DIR || !MSP_ID.test(mspId)) continue;
      keyring.#loadOrg(mspId);
    }
    return keyring;
  }

  /** The seals of an organisation, newest first. */
  seals(mspId: string): KeyringSeal[] {
    return [...this.#seals.values()].filter((s) => s.ownerMsp === mspId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(sealId: string): KeyringSeal | undefined {
    return this.#seals.get(sealId);
  }

  /** The `seal:Apply` input of a seal. */
  static applyInput(seal: SealMeta): Record<string, unknown> {
    return {
      sealId: seal.sealId,
      name: seal.name,
      kind: seal.kind,
      format: seal.format,
      certFingerprints: [...seal.certFingerprints],
      sealDigest: seal.sealDigest,
      validStart: seal.validStart,
      validEnd: seal.validEnd,
    };
  }

  /**
   * Makes a seal in memory: the organisation's PKI if it has none, a signer key and certificate
   * unless `signerCertificates` are given, and the SESeal (GB/T 38540) or the seal descriptor
   * (PKCS#7). Throws `SEAL_INVALID_ARGUMENT` / `SEAL_MALFORMED` (400) for unusable input,
   * `CONFLICT` for a seal id the keyring already holds.
   */
  async prepare(request: PrepareSealRequest): Promise<PreparedSeal> {
    const sealId = request.sealId ?? `seal-${randomBytes(16).toString('hex')}`;
    if (!SEAL_ID.test(sealId)) throw new CodedError('VALIDATION_FAILED', 'sealId is malformed');
    if (!MSP_ID.test(request.ownerMsp) || request.ownerMsp === TRUST_DIR) throw new CodedError('VALIDATION_FAILED', 'ownerMsp is malformed');
    if (this.#seals.has(sealId)) throw new CodedError('CONFLICT', `seal ${sealId} already exists`);
    if (!(request.validEnd > request.validStart)) throw new CodedError('VALIDATION_FAILED', 'validEnd must be after validStart');
    const pki = await this.#orgPki(request.ownerMsp, request.orgName, request.format);
    const subject = (cn: string) => ({ commonName: cn, organization: request.orgName, country: 'CN' });

    let signerCertificates: Uint8Array[] = [...(request.signerCertificates ?? [])].map((der) => new Uint8Array(der));
    let signer: SealSigner | undefined;
    let signerKeyPem: string | undefined;
    if (signerCertificates.length === 0) {
      const ca = request.format === 'GBT38540' ? pki.sm2Ca : (pki.rsaCa as CertifiedKey);
      const now = Date.now();
      const certified = issueCertificate(ca, 'signer', {
        subject: subject(`${request.orgName} 签章者 ${sealId}`.slice(0, 64)),
        notBefore: new Date(Math.min(now - 5 * 60_000, request.validStart.getTime())),
        notAfter: request.validEnd,
      });
      signerCertificates = [certified.certificate];
      signer = this.#newSigner(certified.certificate, certified.privateKey);
      signerKeyPem = exportPrivateKeyPem(certified.privateKey);
    }
    const algorithm = request.format === 'GBT38540' ? 'SM2' : 'RSA';
    for (const [i, der] of signerCertificates.entries()) {
      if (parseCertificate(der, `signer certificate ${i + 1}`).publicKey.algorithm !== algorithm) {
        throw new CodedError('VALIDATION_FAILED', `signer certificate ${i + 1} is not ${algorithm}, as a ${request.format} seal needs`);
      }
    }
    let certFingerprints = [...new Set(signerCertificates.map((der) => `sm3:${certificateFingerprint(der)}`))];

    const createdAt = new Date();
    const validStart = iso(request.validStart);
    const validEnd = iso(request.validEnd);
    let sealBytes: Uint8Array;
    let sealDigest: string;
    if (request.format === 'GBT38540') {
      sealBytes = await makeSeal({
        maker: newSoftwareSigner(pki.maker.certificate, pki.maker.privateKey),
        name: request.name,
        esID: sealId,
        signerCertificates,
        createDate: createdAt,
        validStart: request.validStart,
        validEnd: request.validEnd,
        picture: { data: request.picture, widthMm: request.pictureMm ?? 40, heightMm: request.pictureMm ?? 40 },
      });
      // The ledger records what the seal itself says: its digest and its signers' fingerprints.
      const facts = inspectSeal(sealBytes);
      sealDigest = `sm3:${facts.sealDigest}`;
      if (facts.signers.listType === 1) certFingerprints = facts.signers.fingerprints.map((f) => `sm3:${f}`);
    } else {
      // A PKCS#7 seal has no SESeal: a canonical descriptor stands for it, and its digest is
      // what the ledger anchors.
      sealBytes = canonicalBytes({
        format: PKCS7_SEAL_DESCRIPTOR_FORMAT,
        sealId,
        ownerMsp: request.ownerMsp,
        name: request.name,
        kind: request.kind,
        validStart,
        validEnd,
        picture: sm3Of(request.picture),
        certFingerprints: [...certFingerprints].sort(),
      });
      sealDigest = sm3Of(sealBytes);
    }
    const seal: KeyringSeal = {
      sealId,
      ownerMsp: request.ownerMsp,
      name: request.name,
      kind: request.kind,
      format: request.format,
      certFingerprints,
      sealDigest,
      validStart,
      validEnd,
      createdAt: createdAt.toISOString(),
      sealBytes,
      signerCertificates,
      signer,
    };
    return { seal, signerKeyPem };
  }

  /** Writes a prepared seal (and its organisation's PKI, if new) and makes it available. */
  async commit(prepared: PreparedSeal): Promise<KeyringSeal> {
    const { seal } = prepared;
    const pki = this.#pki.get(seal.ownerMsp);
    if (pki) await this.#writePki(seal.ownerMsp, pki);
    const dir = join(this.root, seal.ownerMsp, 'seals', seal.sealId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAtomically(join(dir, 'seal.der'), seal.sealBytes, false);
    const certs = seal.signerCertificates.map((der) => toPem('CERTIFICATE', der)).join('');
    await writeAtomically(join(dir, 'certificates.pem'), certs, false);
    if (seal.signer && prepared.signerKeyPem) {
      await writeAtomically(join(dir, 'signer.pem'), toPem('CERTIFICATE', seal.signer.certificate), false);
      await writeAtomically(join(dir, 'signer.key'), prepared.signerKeyPem, true);
    }
    const meta: SealMeta = {
      sealId: seal.sealId,
      ownerMsp: seal.ownerMsp,
      name: seal.name,
      kind: seal.kind,
      format: seal.format,
      certFingerprints: seal.certFingerprints,
      sealDigest: seal.sealDigest,
      validStart: seal.validStart,
      validEnd: seal.validEnd,
      createdAt: seal.createdAt,
    };
    // seal.json last: a seal folder without it is an unfinished write, ignored on load.
    await writeAtomically(join(dir, 'seal.json'), `${JSON.stringify(meta, null, 2)}\n`, false);
    this.#seals.set(seal.sealId, seal);
    return seal;
  }

  /** The organisation's PKI, made in memory when missing; an RSA CA is added when PKCS#7 needs one. */
  async #orgPki(mspId: string, orgName: string, format: SealFormat): Promise<OrgPki> {
    const previous = this.#locks.get(mspId) ?? Promise.resolve();
    const run = previous.then(() => {
      let pki = this.#pki.get(mspId);
      const subject = (cn: string) => ({ commonName: cn, organization: orgName, country: 'CN' });
      if (!pki) {
        const sm2Ca = createRootCa('SM2', { subject: subject(`${orgName} 电子印章根CA`) });
        const caInfo = parseCertificate(sm2Ca.certificate);
        const maker = issueCertificate(sm2Ca, 'maker', { subject: subject(`${orgName} 制章者`), notAfter: caInfo.notAfter });
        pki = { sm2Ca, maker, rsaCa: undefined, written: { sm2: false, rsa: false } };
        this.#pki.set(mspId, pki);
      }
      if (format === 'PKCS7' && !pki.rsaCa) pki.rsaCa = createRootCa('RSA', { subject: subject(`${orgName} 电子印章根CA (RSA)`) });
      return pki;
    });
    this.#locks.set(mspId, run.catch(() => undefined));
    return run;
  }

  async #writePki(mspId: string, pki: OrgPki): Promise<void> {
    const dir = join(this.root, mspId, 'pki');
    const trust = join(this.root, TRUST_DIR);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(trust, { recursive: true, mode: 0o700 });
    const put = async (base: string, certified: CertifiedKey): Promise<void> => {
      await writeAtomically(join(dir, `${base}.key`), exportPrivateKeyPem(certified.privateKey), true);
      await writeAtomically(join(dir, `${base}.pem`), toPem('CERTIFICATE', certified.certificate), true);
    };
    if (!pki.written.sm2) {
      await put('sm2-ca', pki.sm2Ca);
      await put('sm2-maker', pki.maker);
      await writeAtomically(join(trust, `${mspId}-sm2.pem`), toPem('CERTIFICATE', pki.sm2Ca.certificate), false);
      pki.written.sm2 = true;
    }
    if (pki.rsaCa && !pki.written.rsa) {
      await put('rsa-ca', pki.rsaCa);
      await writeAtomically(join(trust, `${mspId}-rsa.pem`), toPem('CERTIFICATE', pki.rsaCa.certificate), false);
      pki.written.rsa = true;
    }
  }

  #loadOrg(mspId: string): void {
    const pkiDir = join(this.root, mspId, 'pki');
    const sm2Ca = readCertifiedKey(pkiDir, 'sm2-ca');
    const maker = readCertifiedKey(pkiDir, 'sm2-maker');
    const rsaCa = readCertifiedKey(pkiDir, 'rsa-ca');
    if (sm2Ca && maker) this.#pki.set(mspId, { sm2Ca, maker, rsaCa, written: { sm2: true, rsa: rsaCa !== undefined } });
    const sealsRoot = join(this.root, mspId, 'seals');
    if (!existsSync(sealsRoot)) return;
    for (const sealId of readdirSync(sealsRoot)) {
      const dir = join(sealsRoot, sealId);
      if (!existsSync(join(dir, 'seal.json'))) continue;
      const meta = JSON.parse(readFileSync(join(dir, 'seal.json'), 'utf8')) as SealMeta;
      const sealBytes = new Uint8Array(readFileSync(join(dir, 'seal.der')));
      const signerCertificates = fromPem(readFileSync(join(dir, 'certificates.pem'), 'utf8'), 'CERTIFICATE');
      const signerCert = existsSync(join(dir, 'signer.pem')) ? fromPem(readFileSync(join(dir, 'signer.pem'), 'utf8'), 'CERTIFICATE')[0] : undefined;
      const signer =
        signerCert && existsSync(join(dir, 'signer.key'))
          ? this.#newSigner(signerCert, importPrivateKeyPem(readFileSync(join(dir, 'signer.key'), 'utf8')))
          : undefined;
      this.#seals.set(meta.sealId, { ...meta, sealBytes, signerCertificates, signer });
    }
  }
}
