// fabric-shim logs every refused transaction at 'error'; the refusals are what these tests expect.
// Must run before fabric-shim creates its loggers, so support.ts imports this module first.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'CRITICAL';
export {};
