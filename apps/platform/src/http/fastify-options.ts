import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import qs from 'qs';
import type { Config } from '@stratum/core';
import { sendError } from './send-error.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's x-request-id is kept when it is safe to log and echo; otherwise one is made. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Options for the Fastify instance under Nest: limits, logging and the qs-bracket query form. */
export function fastifyOptions(config: Config) {
  return {
    bodyLimit: config.limits.bodyBytes,
    genReqId: requestIdOf,
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    routerOptions: {
      maxParamLength: 200,
      ignoreTrailingSlash: true,
      // `query[status]=A` and `query[age][$gt]=5` as nested objects, with the same limits as JSON.
      querystringParser: (text: string) =>
        qs.parse(text, { depth: config.limits.queryDepth + 2, arrayLimit: config.limits.inItems, parameterLimit: 1000, allowPrototypes: false }),
    },
    // Bad percent-encoding and over-long path segments fail in the router, before any hook or
    // Nest filter: without this they would leave in Fastify's own shape, without a request id.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', String(request.id));
      sendError(error, request, reply);
    },
    forceCloseConnections: 'idle' as const,
  };
}
