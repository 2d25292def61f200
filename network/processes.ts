/**
 * The network's long-running processes (orderer, peers, chaincode server): started detached in
 * their own process group, output appended to `<dir>/logs/<name>.log`, and recorded in
 * `<dir>/pids/<name>.json` with how they were started, so `up` can restart one that died and
 * `down` can stop them after the command that started them has exited.
 *
 * Every process gets `LC_FABRIC_NETWORK=<network dir>` in its environment. A recorded pid counts
 * as ours only while that process still carries the marker (a pid reused by another program is
 * never signalled), and on Linux `down` also finds our processes whose pid file was lost.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const NETWORK_MARKER = 'LC_FABRIC_NETWORK';

export interface ProcessSpec {
  /** File-name-safe name: `orderer0.orderer.licensechain`, `chaincode`, … */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the process (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface ProcessRecord extends ProcessSpec {
  readonly pid: number;
  readonly startedAt: string;
  readonly log: string;
}

export interface ProcessDirs {
  /** The network folder (the marker's value). */
  readonly dir: string;
  readonly logsDir: string;
  readonly pidsDir: string;
}

function recordFile(dirs: ProcessDirs, name: string): string {
  return path.join(dirs.pidsDir, `${name}.json`);
}

/** Starts `spec` detached, its output appended to its log; records and returns it. */
export async function startProcess(dirs: ProcessDirs, spec: ProcessSpec): Promise<ProcessRecord> {
  await mkdir(dirs.logsDir, { recursive: true });
  await mkdir(dirs.pidsDir, { recursive: true });
  const log = path.join(dirs.logsDir, `${spec.name}.log`);
  const fd = openSync(log, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env, [NETWORK_MARKER]: dirs.dir },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    pid = child.pid;
    if (pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`cannot start ${spec.name} (${spec.command}): ${error.message}`);
    }
    child.unref();
  } finally {
    closeSync(fd);
  }
  const record: ProcessRecord = { ...spec, pid, startedAt: new Date().toISOString(), log };
  await writeFile(recordFile(dirs, spec.name), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The recorded processes (whether or not they still run). */
export async function readRecords(dirs: ProcessDirs): Promise<ProcessRecord[]> {
  let files: string[];
  try {
    files = (await readdir(dirs.pidsDir)).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: ProcessRecord[] = [];
  for (const file of files) {
    try {
      records.push(JSON.parse(await readFile(path.join(dirs.pidsDir, file), 'utf8')) as ProcessRecord);
    } catch {
      // a torn record: its process, if any, is found by its marker
    }
  }
  return records;
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function hasProc(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

function carriesMarker(pid: number, dir: string): boolean | undefined {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`${NETWORK_MARKER}=${dir}`);
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs and is one of this network's processes. */
export function isOurs(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc()) return true;
  const state = procState(pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  return carriesMarker(pid, dir) === true;
}

/** The pids of every process carrying this network's marker (Linux; empty elsewhere). */
export function markedProcesses(dir: string): number[] {
  if (!hasProc()) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (carriesMarker(pid, dir) === true && !['Z', 'X'].includes(procState(pid) ?? 'X')) pids.push(pid);
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // its process group (it was started detached)
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

/**
 * Stops the named processes (default: all of the network's, recorded or marked): SIGTERM, then
 * SIGKILL after `graceMs`. Returns the pids it signalled.
 */
export async function stopProcesses(dirs: ProcessDirs, options: { names?: readonly string[]; graceMs?: number } = {}): Promise<number[]> {
  const records = (await readRecords(dirs)).filter((r) => options.names === undefined || options.names.includes(r.name));
  const pids = new Set(records.map((r) => r.pid).filter((pid) => isOurs(pid, dirs.dir)));
  if (options.names === undefined) for (const pid of markedProcesses(dirs.dir)) pids.add(pid);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 10_000);
  while ([...pids].some((pid) => isOurs(pid, dirs.dir)) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) if (isOurs(pid, dirs.dir)) signal(pid, 'SIGKILL');
  while ([...pids].some((pid) => isOurs(pid, dirs.dir)) && Date.now() < deadline + 5_000) await sleep(50);
  for (const record of records) await rm(recordFile(dirs, record.name), { force: true });
  return [...pids];
}

/** The last `lines` lines of a log, for error messages. */
export function logTail(log: string, lines = 15): string {
  try {
    const text = readFileSync(log, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
