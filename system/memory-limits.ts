/**
 * V8 heap sizing for a long-running server process: resident memory that stays flat under a
 * steady load (issue 8's soak), for a little more garbage-collection work.
 *
 * Left to itself, V8 sizes each heap for throughput: the main thread's old generation may grow to
 * four times its live size before a full collection (live ~60 MB, committed 110–230 MB, a
 * different point of that range in every run), and each crypto worker thread grows its young
 * generation from 3 to 48 MB although what it allocates lives for one batch. Both make the
 * resident set wander by a hundred megabytes and more with no leak behind it.
 *
 * Call once, early, before any worker thread starts: V8's flags are process-wide, a worker's heap
 * reads them when it is created, and the main thread's collector reads the growing factor at
 * every full collection (its young generation was sized at start-up and keeps the default).
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation grows to 1.5 × the live heap before the next full collection. */
const HEAP_GROWING_PERCENT = 50;
/** Workers' semi-spaces (young generation = 3 × this): their allocations die within a batch. */
const WORKER_SEMI_SPACE_MB = 4;

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  setFlagsFromString(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
}
