import { ERROR_STATUS, ErrorCode, type ErrorDetail } from '@stratum/contracts';

/** A failure the caller can act on. The transport maps `code` to HTTP in one place. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[], headers?: Record<string, string>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const badQuery = (message: string) => new DomainError(ErrorCode.INVALID_QUERY, message);
export const notFound = (message: string) => new DomainError(ErrorCode.NOT_FOUND, message);
