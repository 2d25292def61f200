/**
 * The multipart parser (@fastify/busboy 3, under @fastify/multipart) reports a malformed body with
 * plain `Error`s that carry no code — a missing or over-long boundary, a body that ends inside a
 * part. They are the client's fault, not the server's: recognised here by their fixed messages
 * (a closed list, checked by the hardening fuzz test whenever the parser is upgraded) and answered
 * `400 MALFORMED_REQUEST` instead of an internal error.
 */
import { ProblemError } from './problem';

const MALFORMED_MULTIPART: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Multipart: Boundary not found$/, 'the multipart Content-Type has no boundary'],
  [/^Boundary required$/, 'the multipart Content-Type has no boundary'],
  [/^The needle cannot (be an empty String\/Buffer|have a length bigger than 256)\.$/, 'the multipart boundary must be 1–70 characters'],
  [/^Unexpected end of multipart data$/, 'the multipart body ended before its closing boundary'],
  [/^(Part|Preamble) terminated early due to unexpected end of multipart data$/, 'the multipart body ended inside a part'],
  [/^Unsupported Content-Type\.$/, 'the multipart Content-Type is not supported'],
];

/** The problem a multipart parser error stands for, or undefined when `error` is not one. */
export function multipartProblem(error: unknown): ProblemError | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== undefined) return undefined;
  const found = MALFORMED_MULTIPART.find(([pattern]) => pattern.test(error.message));
  return found ? new ProblemError('MALFORMED_REQUEST', found[1], { cause: error }) : undefined;
}
