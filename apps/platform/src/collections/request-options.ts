import { ErrorCode } from '@stratum/contracts';
import { DomainError, isId, type WriteOptions } from '@stratum/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function parseId(id: string): string {
  if (!isId(id)) throw new DomainError(ErrorCode.INVALID_ID, `${JSON.stringify(id).slice(0, 64)} is not a valid id (24 lowercase hex characters)`);
  return id;
}

/** `x-exclude-soft-delete-query: true` lifts the soft-delete filter (Wenex's header). */
export function includeDeleted(request: FastifyRequest): boolean {
  const value = request.headers['x-exclude-soft-delete-query'];
  return value === 'true' || value === '1';
}

export function parseIfMatch(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined || raw === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(raw).trim());
  if (!match) throw new DomainError(ErrorCode.BAD_REQUEST, 'If-Match must be an ETag returned by this API, like "3"');
  return Number(match[1]);
}

export function writeOptions(request: FastifyRequest): WriteOptions {
  return { ifMatch: parseIfMatch(request), includeDeleted: includeDeleted(request) };
}

export function setEtag(reply: FastifyReply, doc: Record<string, unknown>): void {
  if (typeof doc.version === 'number') reply.header('etag', `"${doc.version}"`);
}

export function queryOf(request: FastifyRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}
