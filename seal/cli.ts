/**
 * `seal` commands: create seal PKI material, make a seal, sign a file, verify a signature.
 * The main CLI passes the arguments after `seal`; exit codes: 0 success / verified,
 * 1 verification failed, 2 usage or input error.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCodedMessage } from '../domain/coded-error';
import { createRootCa, issueCertificate, type CertifiedKey } from './certificates';
import { fromPem, importPrivateKeyPem, toPem, writePrivateFile, writePrivateKeyFile, type SealAlgorithm } from './keys';
import { inspectSeal } from './seal-facts';
import { makeSeal } from './seal-maker';
import { signPkcs7 } from './pkcs7';
import { signWithSeal, type DocumentInput } from './ses-signature';
import { newSoftwareSigner } from './signer';
import { verifySealSignature } from './verify';

/** Where the CLI writes (injectable for tests); default stdout / stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

const USAGE = `usage: seal <command> [options]

  pki init  --out DIR [--alg sm2|rsa] [--org NAME] [--signers N] [--not-before ISO] [--not-after ISO]
            SM2: ca, maker and signer-N certificates (.pem) and keys (.key.pem, PKCS#8); RSA: ca and signer-N
  make      --png FILE --maker CERT [--maker-key KEY] --signer-cert CERT [--signer-cert CERT …]
            --name NAME --valid-from ISO --valid-to ISO --out SEAL.der
            [--es-id ID] [--type N] [--vendor ID] [--width-mm 40] [--height-mm 40] [--digest-list]
  sign      --cert CERT --key KEY (--in FILE | --digest HEX) --out SIG.der
            [--seal SEAL.der --property-info TEXT] [--time ISO]     (SM2 → GB/T 38540, RSA → PKCS#7)
  verify    --sig SIG.der (--in FILE | --digest HEX) --root CA [--root CA …] [--intermediate CERT …] [--json]
  inspect   --seal SEAL.der

Keys: PKCS#8 PEM; certificates: PEM or DER; every file written is mode 0600.
A key path defaults to the certificate path with ".pem" replaced by ".key.pem".`;

/** Runs a `seal` command; resolves to the process exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  const args = argv[0] === 'seal' ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'pki':
        if (rest[0] !== 'init') break;
        return await pkiInit(rest.slice(1), io);
      case 'make':
        return await make(rest, io);
      case 'sign':
        return await sign(rest, io);
      case 'verify':
        return await verify(rest, io);
      case 'inspect':
        return await inspect(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        break;
    }
    io.err(`unknown command: ${args.join(' ')}\n\n${USAGE}`);
    return 2;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(parseCodedMessage(message) ? message : `[SEAL_INVALID_ARGUMENT] ${message}`);
    return 2;
  }
}

async function pkiInit(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      alg: { type: 'string', default: 'sm2' },
      org: { type: 'string', default: 'LicenseChain Demo Organisation' },
      signers: { type: 'string', default: '1' },
      'not-before': { type: 'string' },
      'not-after': { type: 'string' },
    },
    strict: true,
  });
  const out = required(values.out, '--out');
  const alg = values.alg.toUpperCase() as SealAlgorithm;
  if (alg !== 'SM2' && alg !== 'RSA') throw new Error('--alg must be sm2 or rsa');
  const count = Number(values.signers);
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error('--signers must be 1..100');
  const window = {
    ...(values['not-before'] ? { notBefore: date(values['not-before'], '--not-before') } : {}),
    ...(values['not-after'] ? { notAfter: date(values['not-after'], '--not-after') } : {}),
  };
  await mkdir(out, { recursive: true, mode: 0o700 });
  const ca = createRootCa(alg, { subject: { commonName: `${values.org} ${alg} Seal CA`, organization: values.org, country: 'CN' }, ...window });
  const written = [await save(out, 'ca', ca)];
  if (alg === 'SM2') {
    const maker = issueCertificate(ca, 'maker', { subject: { commonName: `${values.org} Seal Maker`, organization: values.org, country: 'CN' }, ...window });
    written.push(await save(out, 'maker', maker));
  }
  for (let i = 1; i <= count; i++) {
    const signer = issueCertificate(ca, 'signer', { subject: { commonName: `${values.org} Signer ${i}`, organization: values.org, country: 'CN' }, ...window });
    written.push(await save(out, `signer-${i}`, signer));
  }
  io.out(written.join('\n'));
  return 0;
}

async function save(dir: string, name: string, material: CertifiedKey): Promise<string> {
  const cert = join(dir, `${name}.pem`);
  await writePrivateFile(cert, toPem('CERTIFICATE', material.certificate));
  await writePrivateKeyFile(join(dir, `${name}.key.pem`), material.privateKey);
  return `${cert} (+ ${name}.key.pem)`;
}

async function make(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      png: { type: 'string' },
      maker: { type: 'string' },
      'maker-key': { type: 'string' },
      'signer-cert': { type: 'string', multiple: true },
      name: { type: 'string' },
      'valid-from': { type: 'string' },
      'valid-to': { type: 'string' },
      out: { type: 'string' },
      'es-id': { type: 'string' },
      type: { type: 'string' },
      vendor: { type: 'string' },
      'width-mm': { type: 'string', default: '40' },
      'height-mm': { type: 'string', default: '40' },
      'digest-list': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const makerPath = required(values.maker, '--maker');
  const maker = newSoftwareSigner(
    await readCertificate(makerPath),
    importPrivateKeyPem(await readFile(values['maker-key'] ?? keyPathFor(makerPath), 'utf8')),
  );
  const signerPaths = values['signer-cert'] ?? [];
  if (signerPaths.length === 0) throw new Error('--signer-cert is required');
  const seal = await makeSeal({
    maker,
    name: required(values.name, '--name'),
    signerCertificates: await Promise.all(signerPaths.map(readCertificate)),
    validStart: date(required(values['valid-from'], '--valid-from'), '--valid-from'),
    validEnd: date(required(values['valid-to'], '--valid-to'), '--valid-to'),
    picture: {
      data: new Uint8Array(await readFile(required(values.png, '--png'))),
      widthMm: Number(values['width-mm']),
      heightMm: Number(values['height-mm']),
    },
    certListType: values['digest-list'] ? 'digests' : 'certificates',
    ...(values['es-id'] ? { esID: values['es-id'] } : {}),
    ...(values.type ? { type: Number(values.type) } : {}),
    ...(values.vendor ? { vendorId: values.vendor } : {}),
  });
  const out = required(values.out, '--out');
  await writePrivateFile(out, seal);
  const facts = inspectSeal(seal);
  io.out(`${out}: seal ${facts.esID} "${facts.name}", sm3 ${facts.sealDigest}`);
  return 0;
}

async function sign(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cert: { type: 'string' },
      key: { type: 'string' },
      in: { type: 'string' },
      digest: { type: 'string' },
      out: { type: 'string' },
      seal: { type: 'string' },
      'property-info': { type: 'string' },
      time: { type: 'string' },
    },
    strict: true,
  });
  const certPath = required(values.cert, '--cert');
  const signer = newSoftwareSigner(
    await readCertificate(certPath),
    importPrivateKeyPem(await readFile(values.key ?? keyPathFor(certPath), 'utf8')),
  );
  const document = await documentInput(values.in, values.digest);
  const signingTime = values.time ? { signingTime: date(values.time, '--time') } : {};
  let signature: Uint8Array;
  if (signer.algorithm === 'SM2') {
    signature = await signWithSeal({
      ...document,
      seal: new Uint8Array(await readFile(required(values.seal, '--seal (SM2 signers sign with a GB/T 38540 seal)'))),
      signer,
      propertyInfo: values['property-info'] ?? '',
      ...signingTime,
    });
  } else {
    signature = await signPkcs7({ ...document, signer, ...signingTime });
  }
  const out = required(values.out, '--out');
  await writePrivateFile(out, signature);
  io.out(`${out}: ${signer.algorithm === 'SM2' ? 'GB/T 38540 SES_Signature' : 'PKCS#7 detached SignedData'}`);
  return 0;
}

async function verify(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sig: { type: 'string' },
      in: { type: 'string' },
      digest: { type: 'string' },
      root: { type: 'string', multiple: true },
      intermediate: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const roots = (await Promise.all((values.root ?? []).map(readCertificates))).flat();
  if (roots.length === 0) throw new Error('--root is required');
  const result = verifySealSignature({
    signature: new Uint8Array(await readFile(required(values.sig, '--sig'))),
    ...(await documentInput(values.in, values.digest)),
    trustedRoots: roots,
    intermediates: (await Promise.all((values.intermediate ?? []).map(readCertificates))).flat(),
  });
  if (values.json) {
    io.out(JSON.stringify(result, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v), 2));
  } else {
    for (const c of result.checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(14)} ${c.code.padEnd(30)} ${c.message}`);
    const f = result.facts;
    io.out(`${result.ok ? 'VERIFIED' : 'NOT VERIFIED'} (${f.format}) signer ${f.signer.subject} [sm3 ${f.signer.fingerprint}] at ${f.signingTime.toISOString()}`);
    if (f.seal) io.out(`seal ${f.seal.esID} "${f.seal.name}" sm3 ${f.seal.sealDigest}`);
  }
  return result.ok ? 0 : 1;
}

async function inspect(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seal: { type: 'string' } }, strict: true });
  io.out(JSON.stringify(inspectSeal(new Uint8Array(await readFile(required(values.seal, '--seal')))), null, 2));
  return 0;
}

async function documentInput(path: string | undefined, digestHex: string | undefined): Promise<DocumentInput> {
  if (path !== undefined && digestHex !== undefined) throw new Error('give --in or --digest, not both');
  if (path !== undefined) return { content: new Uint8Array(await readFile(path)) };
  if (digestHex === undefined || !/^[0-9a-fA-F]{64}$/.test(digestHex)) throw new Error('--in FILE or --digest <64 hex digits> is required');
  return { digest: new Uint8Array(Buffer.from(digestHex, 'hex')) };
}

async function readCertificates(path: string): Promise<Uint8Array[]> {
  const data = await readFile(path);
  const text = data.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return fromPem(text, 'CERTIFICATE');
  return [new Uint8Array(data)];
}

async function readCertificate(path: string): Promise<Uint8Array> {
  const [first] = await readCertificates(path);
  if (!first) throw new Error(`${path}: no certificate`);
  return first;
}

const keyPathFor = (certPath: string): string => certPath.replace(/(\.pem|\.der|\.crt)?$/, '.key.pem');

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === '') throw new Error(`${flag} is required`);
  return value;
}

function date(text: string, flag: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`${flag}: not a date: ${text}`);
  return d;
}

// Exported for the main CLI's help text.
/** The usage text, for the main CLI's help. */
export { USAGE as SEAL_USAGE };