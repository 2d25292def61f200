/** Ports for a test network: a base port B with B..B+9 free on 127.0.0.1 (a Fabric network's block). */
import { portFree } from '../../network/health';

export async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 10 * Math.floor(Math.random() * 4_000);
    let free = true;
    for (let port = base; port < base + 10 && free; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error('no block of 10 free ports found');
}
