/**
 * Runs one of Fabric's command-line programs (configtxgen, osnadmin, peer …) to completion with
 * an environment built from scratch: Fabric reads `CORE_*`, `ORDERER_*` and `FABRIC_*` variables
 * over its YAML files, so nothing of the caller's environment but PATH and HOME leaks in.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class FabricCommandError extends Error {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(message: string, result: { stdout: string; stderr: string; exitCode: number | null }) {
    super(message);
    this.name = 'FabricCommandError';
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.exitCode = result.exitCode;
  }
}

/**
 * The base environment of every Fabric process: PATH with this Node's folder first (the ccaas
 * builder scripts are `#!/usr/bin/env node`), HOME, and the logging spec.
 */
export function baseEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const pathDirs = [path.dirname(process.execPath), ...(process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter)];
  return {
    PATH: [...new Set(pathDirs.filter((d) => d !== ''))].join(path.delimiter),
    HOME: process.env.HOME ?? '/tmp',
    FABRIC_LOGGING_SPEC: process.env.LC_FABRIC_LOGGING_SPEC ?? 'info',
    ...extra,
  };
}

/** Runs `program args` and returns its output; throws FabricCommandError with the output on failure. */
export function runFabric(
  program: string,
  args: readonly string[],
  options: { env: Readonly<Record<string, string>>; cwd?: string; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...args],
      { env: { ...options.env }, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const exitCode = typeof error.code === 'number' ? error.code : null;
        const output = `${stderr}\n${stdout}`.trim().split('\n').slice(-12).join('\n');
        const what = `${path.basename(program)} ${args.filter((a) => !a.includes('/')).slice(0, 4).join(' ')}`;
        const why = error.killed ? `timed out after ${options.timeoutMs ?? 60_000} ms` : `exit ${exitCode ?? error.code}`;
        reject(new FabricCommandError(`${what} failed (${why}):\n${output}`, { stdout, stderr, exitCode }));
      },
    );
  });
}
