/**
 * A crash-safe event checkpointer: the position is written to a temporary file, fsynced, and
 * renamed over the checkpoint, then the folder is fsynced — so after a crash the file holds
 * either the old or the new position, never a torn one. (fabric-gateway's own file checkpointer
 * writes in place.) Implements the `Checkpointer` of client.ts for both ledgers.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Checkpointer } from './client';

interface Position {
  blockNumber: number | undefined;
  transactionId: string | undefined;
}

export class FileCheckpointer implements Checkpointer {
  readonly #path: string;
  #position: Position;

  constructor(path: string) {
    this.#path = path;
    this.#position = FileCheckpointer.#read(path);
  }

  get blockNumber(): number | undefined {
    return this.#position.blockNumber;
  }

  get transactionId(): string | undefined {
    return this.#position.transactionId;
  }

  /** All events of `blockNumber` are processed: resume from the next block. */
  async checkpointBlock(blockNumber: number): Promise<void> {
    this.#write({ blockNumber: blockNumber + 1, transactionId: undefined });
  }

  async checkpointTransaction(blockNumber: number, transactionId: string): Promise<void> {
    this.#write({ blockNumber, transactionId });
  }

  #write(position: Position): void {
    mkdirSync(dirname(this.#path), { recursive: true });
    const temporary = `${this.#path}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(position));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.#path);
    const dir = openSync(dirname(this.#path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.#position = position;
  }

  static #read(path: string): Position {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { blockNumber: undefined, transactionId: undefined };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<Position>;
    return {
      blockNumber: typeof parsed.blockNumber === 'number' ? parsed.blockNumber : undefined,
      transactionId: typeof parsed.transactionId === 'string' ? parsed.transactionId : undefined,
    };
  }
}
