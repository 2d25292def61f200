/**
 * Turns every failure into a problem+json answer: schema validation, unparseable bodies, size
 * and media-type limits, unknown routes, domain refusals, ledger failures. Server faults are
 * logged with their cause and answered without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { LedgerError } from '../ledger/errors';
import { CodedError } from '../domain/coded-error';
import { multipartProblem } from './multipart-errors';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, ProblemError, problemFromLedger, type FieldError } from './problem';

function fieldErrors(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((issue) => {
    const params = issue.params as Record<string, unknown>;
    const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
    const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
    const path = `${error.validationContext ?? 'body'}${issue.instancePath}${extra}${missing}`;
    return { field: path, message: issue.message ?? 'is not valid' };
  });
}

/** Classifies any thrown value as a ProblemError. */
export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof LedgerError) return problemFromLedger(error);
  if (error instanceof CodedError) {
    return new ProblemError(error.code in PROBLEMS ? error.code : 'VALIDATION_FAILED', error.detail, { cause: error });
  }
  const multipart = multipartProblem(error);
  if (multipart) return multipart;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fieldErrors(fastifyError);
    return new ProblemError('VALIDATION_FAILED', errors.map((e) => `${e.field} ${e.message}`).join('; '), { errors });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ProblemError('PAYLOAD_TOO_LARGE', fastifyError.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ProblemError('UNSUPPORTED_MEDIA_TYPE', fastifyError.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ProblemError('MALFORMED_REQUEST', fastifyError.message);
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new ProblemError('MALFORMED_REQUEST', 'the request URL is malformed');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ProblemError('URI_TOO_LONG', 'a path parameter is too long');
    case 'FST_ERR_RATE_LIMIT':
      return new ProblemError('RATE_LIMITED', fastifyError.message);
    default:
      break;
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new ProblemError('MALFORMED_REQUEST', fastifyError.message ?? 'malformed request');
  }
  if (fastifyError.statusCode === 413) return new ProblemError('PAYLOAD_TOO_LARGE', fastifyError.message);
  if (fastifyError.statusCode === 415) return new ProblemError('UNSUPPORTED_MEDIA_TYPE', fastifyError.message);
  if (fastifyError.statusCode === 429) return new ProblemError('RATE_LIMITED', fastifyError.message);
  return new ProblemError('INTERNAL_ERROR', 'an internal error occurred; it has been logged', { cause: error });
}

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value);
  if (problem.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem.toProblem());
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists
 * (headers over the size limit, a request not received in time, malformed HTTP) is answered as
 * problem+json too, then the connection is closed.
 */
export function sendClientError(this: { log: { trace(o: object, m: string): void } }, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ProblemError('REQUEST_TIMEOUT', 'the request was not received in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ProblemError('HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts')
        : new ProblemError('MALFORMED_REQUEST', 'the request is not valid HTTP');
  this.log.trace({ err: error }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problem.toProblem());
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblemError(error);
    if (problem.logLevel === 'error') request.log.error({ err: error, code: problem.code }, 'request failed');
    else request.log[problem.logLevel]({ code: problem.code }, problem.message);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new ProblemError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
