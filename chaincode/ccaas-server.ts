/**
 * The LicenseChain chaincode as a service: fabric-shim's chaincode server (`shim.server`) running
 * our contracts (`contracts` of chaincode/index.ts) through fabric-shim's `ChaincodeFromContract`,
 * exactly as `fabric-chaincode-node server` would from a package.json. Peers whose installed
 * package is a `ccaas` package (chaincode/ccaas-package.ts) dial it at the package's address.
 *
 *   CHAINCODE_ID=licensechain_1.0:<sha256> CHAINCODE_SERVER_ADDRESS=127.0.0.1:9999 licensechain chaincode serve
 *
 * `CHAINCODE_ID` must be the installed package id exactly: the server announces it when a peer
 * connects, and a peer refuses any other. Optional TLS: `CHAINCODE_TLS_CERT_FILE`,
 * `CHAINCODE_TLS_KEY_FILE` (PEM), and `CHAINCODE_TLS_CLIENT_CA_FILE` to require peers' client
 * certificates. fabric-shim also reads `CORE_*` variables (logging level, the peer's MSP ID, a
 * peer's TLS settings in its client mode), so start the server with a clean environment.
 */
import { readFileSync } from 'node:fs';
import { contracts } from './index';

interface ShimServer {
  start(): Promise<void>;
}

const shim = require('fabric-shim') as { server(chaincode: unknown, options: Record<string, unknown>): ShimServer };
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract') as new (
  contracts: unknown[],
  serializers: unknown,
  metadata: unknown,
  title: string,
  version: string,
) => unknown;
const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };

export interface ChaincodeServerOptions {
  /** The installed package id (`label:sha256`). */
  readonly chaincodeId: string;
  /** `host:port` to listen on. */
  readonly address: string;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly clientCACerts?: Buffer };
}

/** The options from `CHAINCODE_ID`, `CHAINCODE_SERVER_ADDRESS` and the optional TLS variables. */
export function chaincodeServerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChaincodeServerOptions {
  const chaincodeId = env.CHAINCODE_ID;
  const address = env.CHAINCODE_SERVER_ADDRESS;
  if (!chaincodeId) throw new Error('chaincode serve: set CHAINCODE_ID to the installed package id (label:sha256)');
  if (!address) throw new Error('chaincode serve: set CHAINCODE_SERVER_ADDRESS (host:port to listen on)');
  const cert = env.CHAINCODE_TLS_CERT_FILE;
  const key = env.CHAINCODE_TLS_KEY_FILE;
  if ((cert === undefined) !== (key === undefined)) throw new Error('chaincode serve: CHAINCODE_TLS_CERT_FILE and CHAINCODE_TLS_KEY_FILE go together');
  const clientCa = env.CHAINCODE_TLS_CLIENT_CA_FILE;
  return {
    chaincodeId,
    address,
    ...(cert && key
      ? { tls: { cert: readFileSync(cert), key: readFileSync(key), ...(clientCa ? { clientCACerts: readFileSync(clientCa) } : {}) } }
      : {}),
  };
}

/** Starts the chaincode server; resolves once it listens. */
export async function startChaincodeServer(options: ChaincodeServerOptions): Promise<void> {
  // The dispatcher appends its system contract to the array it is given: pass a copy.
  const chaincode = new ChaincodeFromContract(
    [...contracts],
    { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
    {},
    'licensechain',
    '1.0',
  );
  const server = shim.server(chaincode, {
    ccid: options.chaincodeId,
    address: options.address,
    ...(options.tls ? { tlsProps: options.tls } : {}),
    // fabric-chaincode-node server's defaults.
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
    'grpc.keepalive_time_ms': 110000,
    'grpc.http2.min_time_between_pings_ms': 110000,
    'grpc.keepalive_timeout_ms': 20000,
    'grpc.http2.max_pings_without_data': 0,
    'grpc.keepalive_permit_without_calls': 1,
  });
  await server.start();
}
