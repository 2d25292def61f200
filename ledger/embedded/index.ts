/** The embedded ledger: Fabric's transaction model on LevelDB, chaincode in-process. */
export { EmbeddedLedger, DEFAULT_BLOCK_CUTTER, describeBlock } from './embedded-ledger';
export type { EmbeddedLedgerOptions, EndorsedTransaction, CommitStatus } from './embedded-ledger';
export type { EmbeddedGatewayOptions } from './embedded-gateway';
export type { ChaincodeDefinition } from './chaincode-runtime';
export type { ChannelConfig } from './block';
export { verifyLedger } from './chain-verifier';
export type { VerifyReport, VerifyMismatch } from './chain-verifier';
