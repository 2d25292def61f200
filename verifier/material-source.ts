/**
 * Where the verifier gets a material's bytes from: the custodian organisation, which checks the
 * receipt on the ledger, records the delivery and streams the bytes. The verifier trusts none of
 * it — it checks the bytes against the ledger digest before anyone sees them (`verified-download.ts`).
 *
 * Embedded mode calls the custodian's gateway in-process ({@link FunctionMaterialSource} around
 * `openMaterialDelivery`); across organisations `HttpMaterialSource` (http-material-source.ts)
 * calls the custodian's `GET /v1/materials/:materialId/content?receipt=` (api.md), signed with the
 * grantee's X.509 identity.
 */
import { Transform, pipeline, type Readable } from 'node:stream';
import type { Principal } from '../service/principal';
import { ProblemError } from '../service/problem';

/** What the custodian hands over. */
export interface MaterialDelivery {
  readonly stream: Readable;
  /** Size the custodian announces (checked against the ledger and the bytes). */
  readonly size: number;
  /** Digest the custodian announces (never trusted: the bytes are hashed). */
  readonly digest: string;
  readonly mediaType: string;
}

/** One delivery: the receipt the grantee's use wrote, and who asks. */
export interface MaterialRequest {
  readonly materialId: string;
  readonly receiptId: string;
  /** The custodian organisation named on the receipt. */
  readonly custodianMsp: string;
  /** The grantee's principal (the organisation named on the receipt). */
  readonly grantee: Principal;
}

/** A strategy, so that an HTTPS client can replace the in-process one. */
export interface MaterialSource {
  open(request: MaterialRequest): Promise<MaterialDelivery>;
}

/** A source from a plain function (the embedded system wires `openMaterialDelivery` this way). */
export class FunctionMaterialSource implements MaterialSource {
  readonly #open: (request: MaterialRequest) => Promise<MaterialDelivery>;

  constructor(open: (request: MaterialRequest) => Promise<MaterialDelivery>) {
    this.#open = open;
  }

  open(request: MaterialRequest): Promise<MaterialDelivery> {
    return this.#open(request);
  }
}

/** How long a custodian may take: to answer, and between two chunks of the bytes. */
export interface DeliveryTimeouts {
  /** Until `open` answers (default 30 s). */
  readonly openMs?: number;
  /** Longest pause in the bytes (default 30 s); a large file may take long, but must keep flowing. */
  readonly idleMs?: number;
}

export const DELIVERY_OPEN_TIMEOUT_MS = 30_000;
export const DELIVERY_IDLE_TIMEOUT_MS = 30_000;

function upstream(detail: string): ProblemError {
  return new ProblemError('UPSTREAM_UNAVAILABLE', detail);
}

/**
 * Opens a delivery from `source` under deadlines, so that a custodian that hangs — before
 * answering or in the middle of the bytes — fails the request with `UPSTREAM_UNAVAILABLE`
 * instead of holding it (and its connection) forever.
 */
export async function openDelivery(source: MaterialSource, request: MaterialRequest, timeouts: DeliveryTimeouts = {}): Promise<MaterialDelivery> {
  const openMs = timeouts.openMs ?? DELIVERY_OPEN_TIMEOUT_MS;
  const idleMs = timeouts.idleMs ?? DELIVERY_IDLE_TIMEOUT_MS;
  const opening = source.open(request);
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const delivery = await Promise.race([
    opening,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(upstream(`the custodian ${request.custodianMsp} did not answer within ${openMs} ms`));
      }, openMs);
    }),
  ]).finally(() => clearTimeout(timer));
  // A delivery that arrives after its deadline is closed unread.
  if (late) void opening.then((d) => d.stream.destroy(), () => undefined);
  return { ...delivery, stream: withIdleTimeout(delivery.stream, idleMs, request.custodianMsp) };
}

/** `stream` through a watchdog that fails it when no chunk came for `idleMs`. */
function withIdleTimeout(stream: Readable, idleMs: number, custodian: string): Readable {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      arm();
      callback(null, chunk);
    },
  });
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => watchdog.destroy(upstream(`the custodian ${custodian} sent nothing for ${idleMs} ms`)), idleMs);
  };
  arm();
  pipeline(stream, watchdog, () => clearTimeout(timer));
  return watchdog;
}
