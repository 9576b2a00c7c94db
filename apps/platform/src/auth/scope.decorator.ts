import { SetMetadata } from '@nestjs/common';
import type { ScopeLevel } from '@stratum/contracts';

export const SCOPE_LEVEL = 'stratum:scope';

export interface ScopeRequirement {
  level: ScopeLevel;
  /** Fixed collection; when absent the route's `:service/:collection` params name it. */
  service?: string;
  collection?: string;
}

/**
 * The scope a route needs (DESIGN 5.1). Collection routes give only the level and the guard
 * completes it from the path, so scopes come from the registry, not from each route.
 */
export const RequiresScope = (level: ScopeLevel, service?: string, collection?: string) =>
  SetMetadata(SCOPE_LEVEL, { level, service, collection } satisfies ScopeRequirement);
