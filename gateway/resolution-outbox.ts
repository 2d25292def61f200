/**
 * Dispute resolutions that must still reach the ledger, kept durably (LevelDB, synced writes) in
 * the gateway's data folder. Resolving a dispute as corrected is two transactions — the corrected
 * version (or the withdrawal of a material), then `dispute:Resolve` — and the ledger cannot make
 * them one; the intent is written here before the first, and removed only once the dispute is
 * seen closed, so a failure or a crash in between is finished later (dispute-resolution.ts).
 */
import { Level } from 'level';

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
  readonly #db: Level<string, string>;

  /** @param path folder of the LevelDB database. */
  constructor(path: string) {
    this.#db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  }

  open(): Promise<void> {
    return this.#db.open();
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  /** Records (or replaces) the intent for a dispute; durable when the promise resolves. */
  put(entry: PendingResolution): Promise<void> {
    return this.#db.put(entry.disputeId, JSON.stringify(entry), { sync: true });
  }

  async get(disputeId: string): Promise<PendingResolution | undefined> {
    const value = await this.#db.get(disputeId);
    return value === undefined ? undefined : (JSON.parse(value) as PendingResolution);
  }

  delete(disputeId: string): Promise<void> {
    return this.#db.del(disputeId, { sync: true });
  }

  /** Every pending resolution, by dispute id. */
  async list(): Promise<PendingResolution[]> {
    const out: PendingResolution[] = [];
    for await (const value of this.#db.values()) out.push(JSON.parse(value) as PendingResolution);
    return out;
  }
}
