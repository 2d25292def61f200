/**
 * Which malloc a process runs on, read from its memory map: `bin/start.sh` preloads jemalloc when
 * the machine has it (README "Memory"), and the start banner and the soak say which one ran.
 */
import { readFileSync } from 'node:fs';

export type Malloc = 'jemalloc' | 'glibc' | 'unknown';

/** `unknown` where there is no `/proc` (not Linux) or the process has gone. */
export function mallocInUse(pid: number | 'self' = 'self'): Malloc {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'latin1');
  } catch {
    return 'unknown';
  }
  if (/libjemalloc\.so/.test(maps)) return 'jemalloc';
  return /\/libc\.so/.test(maps) ? 'glibc' : 'unknown';
}
