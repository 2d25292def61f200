/** Stand-alone entry for manual use: `node build/certs/main.js consortium --out … --spec …`. */
import { run } from './cli';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`certs: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
