/**
 * A CPU profile of the main thread (the server) over one measured phase only — setup and
 * baselines excluded — written as `<dir>/<name>.cpuprofile` (the format of `node --cpu-prof`;
 * summarise with `node build/bench/profile-top.js`, or open in Chrome DevTools).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
}

/** Runs `phase`, profiling the main thread when `dir` is given. */
export async function profiled<T>(dir: string | undefined, name: string, phase: () => Promise<T>): Promise<T> {
  if (!dir) return phase();
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
    await post(session, 'Profiler.start');
    const result = await phase();
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  profile: ${file}`);
    return result;
  } finally {
    session.disconnect();
  }
}
