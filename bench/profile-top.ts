/**
 * Where a CPU profile's time went: the top functions by self time, self time by package or
 * project file, and the inclusive time of the project's own functions — for `node --cpu-prof`
 * profiles (one file per thread; the server's is the main thread's) or the per-phase profiles the
 * benchmarks write with `--profile DIR`. Locations are of the compiled `build/**.js` files.
 *
 *   node build/bench/issuance.js --only b --profile /tmp/prof
 *   node build/bench/profile-top.js /tmp/prof/issuance-b-single.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/sm-crypto-v2`, `gateway/license-issuance.ts`, `(program)`, `node:internal/…`. */
function placeOf(url: string, name: string): string {
  if (url === '') return `(${name.replace(/[()]/g, '') || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const build = url.indexOf('/build/');
  if (build !== -1) return url.slice(build + '/build/'.length);
  return url;
}

function summarise(path: string, top: number): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName);
    const key = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros / 1000);
    byPlace.set(place, (byPlace.get(place) ?? 0) + micros / 1000);
  }
  // Inclusive ("total") time of the project's own functions: each sample counts once per function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.url === '' || frame.url.includes('node_modules/') || frame.url.startsWith('node:')) continue;
      seen.add(`${frame.functionName || '(anonymous)'}  ${placeOf(frame.url, frame.functionName)}:${frame.lineNumber + 1}`);
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const idle = byPlace.get('(idle)') ?? 0;
  console.log(`\n${path}: ${total.toFixed(0)} ms profiled, ${(total - idle).toFixed(0)} ms busy (${((100 * (total - idle)) / total).toFixed(0)} %)`);
  const print = (title: string, entries: Map<string, number>): void => {
    console.log(`  ${title}`);
    for (const [key, ms] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`    ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
    }
  };
  print('self time by function', byFunction);
  print('self time by package / file', byPlace);
  print("total (inclusive) time of the project's functions", inclusive);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
for (const path of positionals) summarise(path, Number(values.top));
