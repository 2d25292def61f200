/**
 * Where the verifier gets a material's bytes from: the custodian organisation, which checks the
 * receipt on the ledger, records the delivery and streams the bytes. The verifier trusts none of
 * it — it checks the bytes against the ledger digest before anyone sees them (`verified-download.ts`).
 *
 * Embedded mode calls the custodian's gateway in-process ({@link FunctionMaterialSource} around
 * `openMaterialDelivery`); Fabric mode replaces it with an HTTPS client of the custodian's
 * `GET /v1/materials/:materialId/content?receipt=` (api.md).
 */
import type { Readable } from 'node:stream';
import type { Principal } from '../service/principal';

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
