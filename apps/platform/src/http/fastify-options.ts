import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController } from 'fastify';
import qs from 'qs';
import type { Config } from '@stratum/core';

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
    forceCloseConnections: 'idle' as const,
  };
}
