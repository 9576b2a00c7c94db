import type { ScopeLevel } from '@stratum/contracts';

const LEVELS: Record<ScopeLevel, number> = { read: 1, write: 2, manage: 3 };

/**
 * Gate 1 (DESIGN 6.2): does a token's scope cover `{level}:{service}:{collection}`?
 * `manage ⊇ write ⊇ read`, a service scope covers its collections, `whole` covers everything.
 */
export function scopeAllows(granted: readonly string[], level: ScopeLevel, service: string, collection?: string): boolean {
  for (const scope of granted) {
    if (scope === 'whole') return true;
    const [grantedLevel, grantedService, grantedCollection] = scope.split(':');
    const rank = LEVELS[grantedLevel as ScopeLevel];
    if (!rank || rank < LEVELS[level]) continue;
    if (grantedService !== service) continue;
    if (grantedCollection === undefined || grantedCollection === collection) return true;
  }
  return false;
}

export function parseScope(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter(Boolean);
}

const SCOPE = /^(whole|(read|write|manage):[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?)$/;

export function isValidScope(scope: string): boolean {
  return SCOPE.test(scope);
}

/**
 * Narrows requested scopes to what an upper bound allows (client, then app): each requested
 * scope survives if the bound covers it, and `whole` requested under a narrower bound becomes
 * the bound itself.
 */
export function narrowScopes(requested: readonly string[], bound: readonly string[]): string[] {
  if (requested.includes('whole')) return bound.includes('whole') ? ['whole'] : [...bound];
  return requested.filter((scope) => {
    if (!isValidScope(scope)) return false;
    const [level, service, collection] = scope.split(':');
    return scopeAllows(bound, level as ScopeLevel, service, collection ?? '*') || bound.includes(scope);
  });
}

/** What two scope lists both allow: each one's scopes that the other covers. */
export function intersectScopes(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...narrowScopes(a, b), ...narrowScopes(b, a)])];
}
