/**
 * Where Hyperledger Fabric's programs and sample configuration are: `$FABRIC_BIN` (the `bin/`
 * folder of Fabric's release archive, or wherever a hand build put them), else `PATH`. Fabric's
 * config folder (core.yaml, orderer.yaml, configtx.yaml) is `$FABRIC_CFG_PATH`, else
 * `<FABRIC_BIN>/../config` (the release archive's layout), else `<FABRIC_BIN>/config`.
 *
 * Nothing of Fabric is shipped in this repository; README.md "Fabric mode" says how to get it.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** The programs the network needs. */
export const FABRIC_PROGRAMS = ['peer', 'orderer', 'configtxgen', 'osnadmin'] as const;
export type FabricProgram = (typeof FABRIC_PROGRAMS)[number];

/** The sample configuration files the generated ones start from. */
export const FABRIC_CONFIG_FILES = ['core.yaml', 'orderer.yaml', 'configtx.yaml'] as const;

export interface FabricInstallation {
  /** Absolute path of each program. */
  readonly programs: Readonly<Record<FabricProgram, string>>;
  /** Fabric's sample config folder (core.yaml, orderer.yaml, configtx.yaml). */
  readonly configDir: string;
}

export const README_POINTER = 'see README.md, section "Fabric mode"';

/** Fabric's binaries or config could not be found; the message names what and where it looked. */
export class FabricNotFoundError extends Error {
  readonly missing: readonly string[];
  constructor(missing: readonly string[], message: string) {
    super(message);
    this.name = 'FabricNotFoundError';
    this.missing = missing;
  }
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds Fabric's programs and config folder.
 * @throws FabricNotFoundError naming every missing program (or the config folder).
 */
export function findFabric(env: NodeJS.ProcessEnv = process.env): FabricInstallation {
  const binDir = env.FABRIC_BIN ? path.resolve(env.FABRIC_BIN) : undefined;
  const found: Partial<Record<FabricProgram, string>> = {};
  const missing: FabricProgram[] = [];
  for (const program of FABRIC_PROGRAMS) {
    const inBin = binDir !== undefined && isExecutable(path.join(binDir, program)) ? path.join(binDir, program) : undefined;
    const where = inBin ?? onPath(program, env);
    if (where === undefined) missing.push(program);
    else found[program] = where;
  }
  if (missing.length > 0) {
    const looked = binDir !== undefined ? `FABRIC_BIN (${binDir}) or PATH` : 'PATH (FABRIC_BIN is not set)';
    throw new FabricNotFoundError(
      missing,
      `Hyperledger Fabric ${missing.length === 1 ? 'binary' : 'binaries'} not found: ${missing.join(', ')} (looked in ${looked}); ` +
        `set FABRIC_BIN to the bin/ folder of Fabric 2.5's release archive — ${README_POINTER}`,
    );
  }
  const programs = found as Record<FabricProgram, string>;
  const configDir = findConfigDir(env, binDir ?? path.dirname(programs.peer));
  return { programs, configDir };
}

function findConfigDir(env: NodeJS.ProcessEnv, binDir: string): string {
  const candidates = env.FABRIC_CFG_PATH ? [path.resolve(env.FABRIC_CFG_PATH)] : [path.resolve(binDir, '..', 'config'), path.resolve(binDir, 'config')];
  for (const dir of candidates) {
    if (FABRIC_CONFIG_FILES.every((f) => existsSync(path.join(dir, f)))) return dir;
  }
  throw new FabricNotFoundError(
    ['config'],
    `Fabric's sample config folder (${FABRIC_CONFIG_FILES.join(', ')}) not found in ${candidates.join(' or ')}; ` +
      `set FABRIC_CFG_PATH to the config/ folder of Fabric's release archive — ${README_POINTER}`,
  );
}

/** What is missing, as one line, or undefined when Fabric is there (for tests that skip). */
export function fabricMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    findFabric(env);
    return undefined;
  } catch (error) {
    if (error instanceof FabricNotFoundError) return error.message;
    throw error;
  }
}
