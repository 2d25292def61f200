/**
 * The JSON body parser both services use instead of Fastify's default: the same parsing (and
 * prototype-poisoning refusal), but the bytes must be UTF-8 and the text Unicode. Fastify decodes
 * a body leniently — invalid bytes become U+FFFD — and JSON escapes may spell lone surrogates; a
 * body that is hashed, sealed or anchored must be exactly what was sent, so both are refused
 * (`MALFORMED_REQUEST`) instead of being silently repaired. So is a body nested deeper than
 * {@link MAX_JSON_DEPTH}.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from './problem';

/** A surrogate not part of a pair (with the `u` flag, pairs are one code point and do not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Deepest nesting of arrays and objects accepted. Real bodies nest a handful of levels; code that
 * walks JSON recursively (canonical JSON, schema compilation) would exhaust the stack on a body
 * nested tens of thousands deep, and fail as a server error instead of a refusal.
 */
export const MAX_JSON_DEPTH = 64;

/** Why `value` is not acceptable JSON text, or undefined: a lone surrogate, or nesting too deep. */
function flaw(value: unknown): string | undefined {
  // Iterative: a deeply nested body must not exhaust the stack here.
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return 'the body contains a lone surrogate (\\uD800–\\uDFFF), which is not Unicode text';
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH) return `the body is nested deeper than ${MAX_JSON_DEPTH} levels`;
      if (Array.isArray(item)) {
        for (const child of item) pending.push([child, depth + 1]);
      } else {
        for (const [key, child] of Object.entries(item)) {
          if (LONE_SURROGATE.test(key)) return 'the body contains a lone surrogate (\\uD800–\\uDFFF), which is not Unicode text';
          pending.push([child, depth + 1]);
        }
      }
    }
  }
  return undefined;
}

export function installStrictJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new ProblemError('MALFORMED_REQUEST', 'the body is not valid UTF-8'), undefined);
      return;
    }
    parse(request, bytes.toString('utf8'), (error, value) => {
      const problem = error ? undefined : flaw(value);
      if (error) done(error, undefined);
      else if (problem) done(new ProblemError('MALFORMED_REQUEST', problem), undefined);
      else done(null, value);
    });
  });
}
