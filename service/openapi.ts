/**
 * What the OpenAPI document says beyond the route schemas Fastify validates:
 *
 * - multipart bodies — read and checked by the route itself while it streams (a body schema would
 *   make Fastify validate the unparsed body), so they are documented from `config.multipart`;
 * - POSTs that change nothing (`config.readOnly`, e.g. verifying a document), marked
 *   `x-read-only: true`: safe to retry, and exempt from the submit gate (service/submit-gate.ts).
 */
import type { SwaggerTransform } from '@fastify/swagger';

/** A JSON Schema object (loosely typed: the document generator takes any). */
type JsonSchema = Record<string, unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The fields of a `multipart/form-data` body (files as `{ type: 'string', format: 'binary' }`), for the document. */
    multipart?: JsonSchema;
    /** A POST (or other non-GET) that changes nothing. */
    readOnly?: boolean;
  }
}

/** `@fastify/swagger`'s `transform`: adds the multipart body and the read-only mark to a route's document. */
export const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  const config = route.config ?? {};
  // Routes without a schema (or hidden) are left as they are.
  if (!schema || (!config.multipart && !config.readOnly)) return { schema, url };
  let documented: Record<string, unknown> = { ...schema };
  if (config.multipart) {
    const existing = (schema.body as { content?: Record<string, unknown> } | undefined)?.content ?? {};
    documented = { ...documented, body: { content: { ...existing, 'multipart/form-data': { schema: config.multipart } } } };
  }
  if (config.readOnly) documented = { ...documented, 'x-read-only': true };
  return { schema: documented, url };
};
