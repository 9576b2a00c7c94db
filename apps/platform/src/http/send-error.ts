import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError, toProblem, wantsProblem } from './error-body.js';

/** Writes any error in the one shape; logs server faults with their stack, never sends it. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = mapError(error, String(request.id));
  if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: mapped.body.code, status: mapped.status }, mapped.body.message);
  if (reply.sent || reply.raw.headersSent) return;
  for (const [name, value] of Object.entries(mapped.headers)) reply.header(name, value);
  if (wantsProblem(request.headers.accept)) {
    reply.status(mapped.status).type('application/problem+json').send(JSON.stringify(toProblem(mapped.body, request.url)));
  } else {
    reply.status(mapped.status).type('application/json; charset=utf-8').send(JSON.stringify(mapped.body));
  }
}
