import { ERROR_STATUS, ErrorCode, STATUS_TEXT, type ErrorBody } from '@stratum/contracts';
import { DomainError } from '@stratum/core';
import { HttpException } from '@nestjs/common';

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** Fastify's own errors (parsing, limits) by their code. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'The request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'Unsupported content type; send application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.INVALID_JSON, message: 'The body is empty but content-type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: ErrorCode.BAD_REQUEST, message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCode.INVALID_JSON, message: 'The body is not valid JSON' },
  FST_ERR_BAD_URL: { code: ErrorCode.BAD_REQUEST, message: 'The URL is not valid (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: ErrorCode.BAD_REQUEST, message: 'A path segment is longer than the router accepts' },
};

const HTTP_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.ROUTE_NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  412: ErrorCode.PRECONDITION_FAILED,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  422: ErrorCode.VALIDATION_FAILED,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.UNAVAILABLE,
};

function make(code: ErrorCode, message: string, requestId: string, extra: Partial<ErrorBody> = {}, status = ERROR_STATUS[code]): MappedError {
  return {
    status,
    body: { statusCode: status, message, error: STATUS_TEXT[status] ?? 'Error', code, request_id: requestId, ...extra },
    headers: {},
  };
}

/** The one place where any failure becomes the wire error (DESIGN 5.3). Stack traces stay in the log. */
export function mapError(error: unknown, requestId: string): MappedError {
  // Nest wraps Fastify's own errors in an HttpException; the original code is in `cause`.
  if (error instanceof HttpException && (error.cause as { code?: string } | undefined)?.code) {
    return mapError(error.cause, requestId);
  }
  if (error instanceof DomainError) {
    const mapped = make(error.code, error.message, requestId, error.details ? { details: error.details } : {});
    mapped.headers = error.headers ?? {};
    return mapped;
  }
  const fastifyCode = (error as { code?: string })?.code;
  if (fastifyCode && FASTIFY_ERRORS[fastifyCode]) {
    const known = FASTIFY_ERRORS[fastifyCode];
    return make(known.code, known.message ?? (error as Error).message, requestId);
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return make(ErrorCode.INVALID_JSON, 'The body is not valid JSON', requestId);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? error.message);
    return make(HTTP_CODES[status] ?? ErrorCode.INTERNAL, Array.isArray(message) ? message.join('; ') : message, requestId, {}, status);
  }
  const statusCode = (error as { statusCode?: number })?.statusCode;
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return make(HTTP_CODES[statusCode] ?? ErrorCode.BAD_REQUEST, (error as Error).message, requestId, {}, statusCode);
  }
  return make(ErrorCode.INTERNAL, 'Internal server error', requestId);
}

/** RFC 9457 form of the same facts, for `Accept: application/problem+json`. */
export function toProblem(body: ErrorBody, instance: string): Record<string, unknown> {
  return {
    type: `https://stratum.dev/errors/${body.code.toLowerCase()}`,
    title: body.error,
    status: body.statusCode,
    detail: body.message,
    instance,
    code: body.code,
    request_id: body.request_id,
    ...(body.details ? { errors: body.details } : {}),
  };
}

export function wantsProblem(accept: string | undefined): boolean {
  return !!accept && accept.includes('application/problem+json');
}
