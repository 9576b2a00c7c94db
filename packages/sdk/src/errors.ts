import type { ErrorDetail } from '@stratum/contracts';

/** Body fields of the platform's error shape, or of its RFC 9457 form. */
interface WireError {
  statusCode?: unknown;
  status?: unknown;
  message?: unknown;
  detail?: unknown;
  error?: unknown;
  title?: unknown;
  code?: unknown;
  request_id?: unknown;
  details?: unknown;
  errors?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function detailsOf(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object')
    .map((d) => ({ path: String(d.path ?? ''), message: String(d.message ?? '') }));
}

/**
 * Any answer of the platform that is not a success, with the facts of its error body
 * (DESIGN 5.3). `code` is what callers switch on; `message` is for people.
 */
export class PlatformError extends Error {
  /** HTTP status of the answer, or of the error reported inside an event stream. */
  readonly statusCode: number;
  /** Stable error code, e.g. `DUPLICATE`, `INVALID_ID`, `PRECONDITION_FAILED`. */
  readonly code: string;
  /** HTTP reason phrase, e.g. `Conflict`. */
  readonly error: string;
  /** The request id the server logged the failure under (body `request_id` or `x-request-id`). */
  readonly request_id: string | undefined;
  /** Validation details: `{path, message}` per violation. Empty when there are none. */
  readonly details: ErrorDetail[];
  /** The parsed error body as received (JSON), or its text when it was not JSON. */
  readonly body: unknown;

  constructor(init: { statusCode: number; code: string; message: string; error?: string; request_id?: string; details?: ErrorDetail[]; body?: unknown }) {
    super(init.message);
    this.name = 'PlatformError';
    this.statusCode = init.statusCode;
    this.code = init.code;
    this.error = init.error ?? '';
    this.request_id = init.request_id;
    this.details = init.details ?? [];
    this.body = init.body;
  }

  /** Builds the error from a parsed body; `fallbackStatus` and `requestId` fill what the body lacks. */
  static fromBody(body: unknown, fallbackStatus: number, requestId?: string): PlatformError {
    const wire: WireError = body !== null && typeof body === 'object' ? (body as WireError) : {};
    const status = typeof wire.statusCode === 'number' ? wire.statusCode : typeof wire.status === 'number' ? wire.status : fallbackStatus;
    const fallbackMessage = typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : `HTTP ${status}`;
    return new PlatformError({
      statusCode: status,
      code: text(wire.code) ?? `HTTP_${status}`,
      message: text(wire.message) ?? text(wire.detail) ?? fallbackMessage,
      error: text(wire.error) ?? text(wire.title),
      request_id: text(wire.request_id) ?? requestId,
      details: detailsOf(wire.details ?? wire.errors),
      body,
    });
  }

  /** Reads a failed response (JSON, problem+json or anything else) into an error. */
  static async fromResponse(response: Response): Promise<PlatformError> {
    const raw = await response.text().catch(() => '');
    let body: unknown = raw;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // Not JSON (a proxy's HTML page, say): keep the text as the message.
    }
    return PlatformError.fromBody(body, response.status, response.headers.get('x-request-id') ?? undefined);
  }
}
