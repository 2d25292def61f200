/**
 * Errors that carry a stable, upper-case code (api.md "Errors").
 *
 * Chaincode refusals cross the ledger as a plain message string: fabric-shim returns only
 * `error.message` to the peer, and the peer wraps it ("chaincode response 500, …"). So the code
 * travels inside the message as a `[CODE] text` prefix, which `parseCodedMessage` recovers on
 * either ledger. Codes never change; messages are free to improve.
 */
export class CodedError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`[${code}] ${message}`, options);
    this.name = 'CodedError';
    this.code = code;
  }

  /** The message without its `[CODE]` prefix. */
  get detail(): string {
    return this.message.slice(this.code.length + 3);
  }
}

const CODED = /\[([A-Z][A-Z0-9_]{1,63})\] ([\s\S]*)$/;

/** Recovers `{ code, detail }` from a message that contains a `[CODE] text` part, or undefined. */
export function parseCodedMessage(message: string): { code: string; detail: string } | undefined {
  const match = CODED.exec(message);
  if (!match) return undefined;
  return { code: match[1] as string, detail: (match[2] as string).trim() };
}
