// fabric-shim logs every refused transaction at 'error', and fabric-contract-api its annotations at
// 'info'; in tests those refusals are expected. Must run before either creates its loggers, so
// test/support/system.ts imports this module first.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
export {};
