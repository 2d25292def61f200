/**
 * fabric-shim and fabric-contract-api log through winston, which does real work (format
 * pipeline, streams) even for messages below the logger's level — measured here at ~5 µs per
 * filtered `debug` call, a dozen of them per invocation. In-process, levels are fixed at start, so
 * the methods of disabled levels are replaced by no-ops on every logger these libraries create.
 * A side-effect module: import it before their modules are loaded (they create loggers at load time); `setLevel`
 * afterwards can no longer re-enable a silenced level.
 */
type WinstonLike = Record<string, unknown> & { isLevelEnabled(level: string): boolean };
type LoggerModule = { getLogger(name: string): WinstonLike };

const LEVELS = ['silly', 'debug', 'verbose', 'info', 'warn', 'error'];
const noop = (): void => undefined;

function silence(logger: WinstonLike): WinstonLike {
  for (const level of LEVELS) {
    if (typeof logger[level] === 'function' && !logger.isLevelEnabled(level)) logger[level] = noop;
  }
  return logger;
}

// fabric-contract-api logs every decorator at 'info', fabric-shim every chaincode refusal at
// 'error'; in-process, refusals are ordinary answers that the services log themselves. An explicit
// setting wins.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'critical';

for (const path of ['fabric-shim/lib/logger', 'fabric-contract-api/lib/logger']) {
    const module = require(path) as LoggerModule;
    const original = module.getLogger.bind(module);
  module.getLogger = (name: string) => silence(original(name));
}
