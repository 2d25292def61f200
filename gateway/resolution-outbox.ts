/**
 * Dispute resolutions that must still reach the ledger, kept durably (LevelDB, synced writes) in
 * the gateway's data folder. Resolving a dispute as corrected is two transactions — the corrected
 * version (or the withdrawal of a material), then `dispute:Resolve` — and the ledger cannot make
 * them one; the intent is written here before the first, and removed only once the dispute is
 * seen closed, so a failure or a crash in between is finished later (dispute-resolution.ts).
 */
import { JsonStore } from '../service/json-store';

/** A `dispute:Resolve` to submit once its correction is on the ledger. */
export interface PendingResolution {
  readonly disputeId: string;
  /** Name of the principal (of the assignee organisation) that resolves it. */
  readonly principal: string;
  readonly subject: { readonly kind: 'license' | 'material'; readonly id: string };
  /** The `dispute:Resolve` input: `{ disputeId, outcome: 'corrected', note?, newVersion? }`. */
  readonly input: { readonly disputeId: string; readonly outcome: 'corrected'; readonly note?: string; readonly newVersion?: string };
  /** When the intent was recorded (RFC 3339). */
  readonly since: string;
}

export class ResolutionOutbox {
  readonly #store: JsonStore<PendingResolution>;

  /** @param path folder of the LevelDB database. */
  constructor(path: string) {
    this.#store = new JsonStore<PendingResolution>(path);
  }

  open(): Promise<void> {
    return this.#store.open();
  }

  close(): Promise<void> {
    return this.#store.close();
  }

  /** Records (or replaces) the intent for a dispute; durable when the promise resolves. */
  put(entry: PendingResolution): Promise<void> {
    return this.#store.put(entry.disputeId, entry);
  }

  get(disputeId: string): Promise<PendingResolution | undefined> {
    return this.#store.get(disputeId);
  }

  delete(disputeId: string): Promise<void> {
    return this.#store.delete(disputeId);
  }

  /** Every pending resolution, by dispute id. */
  list(): Promise<PendingResolution[]> {
    return this.#store.values();
  }
}
