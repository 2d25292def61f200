/**
 * Numbers the keys (PEM text) a worker thread uses, so that each key crosses to the thread once:
 * requests carry a key's number, and a new key travels, with its number, in the next batch.
 *
 * @example
 * ```ts
 * const keys = new KeyIds();
 * const keyId = keys.idOf(pem);
 * worker.postMessage({ keys: keys.takeUnsent(), keyIds: [keyId], ... });
 * ```
 */
export class KeyIds {
  readonly #ids = new Map<string, number>();
  #unsent: Array<readonly [number, string]> = [];

  /** The number of `pem`, given it on first sight. */
  idOf(pem: string): number {
    let id = this.#ids.get(pem);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(pem, id);
      this.#unsent.push([id, pem]);
    }
    return id;
  }

  /** The keys numbered since the last call, to send with the next batch. */
  takeUnsent(): Array<readonly [number, string]> {
    const unsent = this.#unsent;
    this.#unsent = [];
    return unsent;
  }
}
