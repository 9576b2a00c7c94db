import { isValidScope, normaliseDomain } from '@stratum/core';
import { commaList, UsageError } from './args.js';

/** The grants a client may be allowed (DESIGN 6.1); a tenant's default client gets all four. */
export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials', 'authorization_code'] as const;

const ID = /^[0-9a-f]{24}$/;
const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function domainArg(what: string, raw: string): string {
  try {
    return normaliseDomain(raw);
  } catch {
    throw new UsageError(`${what} must be a domain name such as acme.com, got ${JSON.stringify(raw)}`);
  }
}

export function slugArg(raw: string): string {
  if (!SLUG.test(raw)) throw new UsageError(`--slug must be lowercase letters, digits and inner dashes (at most 63), got ${JSON.stringify(raw)}`);
  return raw;
}

export function idArg(flag: string, raw: string): string {
  if (!ID.test(raw)) throw new UsageError(`--${flag} must be a client id (24 hex characters), got ${JSON.stringify(raw)}`);
  return raw;
}

/** Scopes separated by spaces or commas: `whole` or `{read|write|manage}:{service}[:{collection}]`. */
export function scopesArg(raw: string): string[] {
  const scopes = [...new Set(raw.split(/[\s,]+/).filter(Boolean))];
  if (scopes.length === 0) throw new UsageError('--scopes needs at least one scope');
  const bad = scopes.filter((s) => !isValidScope(s));
  if (bad.length > 0) {
    throw new UsageError(`--scopes: ${bad.map((s) => JSON.stringify(s)).join(', ')} ${bad.length > 1 ? 'are not scopes' : 'is not a scope'}; use whole or {read|write|manage}:{service}[:{collection}]`);
  }
  return scopes;
}

export function grantTypesArg(raw: string): string[] {
  const grants = commaList('grant-types', raw);
  const bad = grants.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g));
  if (bad.length > 0) throw new UsageError(`--grant-types: unknown grant ${bad.map((g) => JSON.stringify(g)).join(', ')}; allowed: ${GRANT_TYPES.join(', ')}`);
  return grants;
}

export function redirectUriArg(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--redirect-uri must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
  if (url.hash) throw new UsageError(`--redirect-uri must not have a fragment, got ${JSON.stringify(raw)}`);
  return raw;
}

export function emailArg(raw: string): string {
  if (!EMAIL.test(raw) || raw.length > 320) throw new UsageError(`--email must be an email address, got ${JSON.stringify(raw)}`);
  return raw;
}

export function passwordArg(raw: string): string {
  if (raw.length < 8 || raw.length > 256) throw new UsageError('--password must have between 8 and 256 characters');
  return raw;
}

export function textArg(flag: string, raw: string): string {
  if (raw.trim() === '' || raw.length > 1024) throw new UsageError(`--${flag} must be between 1 and 1024 characters`);
  return raw;
}
