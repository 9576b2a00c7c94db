/** Stable error codes: clients switch on these, never on messages. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  INVALID_JSON: 'INVALID_JSON',
  INVALID_ID: 'INVALID_ID',
  INVALID_QUERY: 'INVALID_QUERY',
  QUERY_OPERATOR_NOT_ALLOWED: 'QUERY_OPERATOR_NOT_ALLOWED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  INVALID_PAGINATION: 'INVALID_PAGINATION',
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
  COMPUTED_FIELD: 'COMPUTED_FIELD',
  TOO_MANY_ITEMS: 'TOO_MANY_ITEMS',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  SCOPE_MISSING: 'SCOPE_MISSING',
  TENANT_MISMATCH: 'TENANT_MISMATCH',
  NOT_FOUND: 'NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  DUPLICATE: 'DUPLICATE',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  DOCUMENT_QUOTA_EXCEEDED: 'DOCUMENT_QUOTA_EXCEEDED',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one mapping from error code to HTTP status. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_ID: 400,
  INVALID_QUERY: 400,
  QUERY_OPERATOR_NOT_ALLOWED: 400,
  QUERY_TOO_COMPLEX: 400,
  INVALID_PAGINATION: 400,
  UNKNOWN_FIELD: 400,
  COMPUTED_FIELD: 400,
  TOO_MANY_ITEMS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  SCOPE_MISSING: 403,
  TENANT_MISMATCH: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  DUPLICATE: 409,
  VERSION_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  /** The plan's requests for this month are used up: Retry-After says when the next month starts. */
  QUOTA_EXCEEDED: 429,
  /** The plan's documents are all in use: waiting does not help, deleting documents or a larger plan does. */
  DOCUMENT_QUOTA_EXCEEDED: 403,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorDetail {
  path: string;
  message: string;
}

/** The wire shape of every error (seed 003 plus `code` and `request_id`). */
export interface ErrorBody {
  statusCode: number;
  message: string;
  error: string;
  code: ErrorCode;
  request_id: string;
  details?: ErrorDetail[];
}
