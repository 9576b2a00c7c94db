import type { TokenClaims } from '@stratum/contracts';
import type { Principal } from '../context.js';
import { parseScope } from './scopes.js';

/** The principal a verified access token stands for. */
export function principalFromClaims(claims: TokenClaims): Principal {
  return {
    uid: claims.uid,
    aid: claims.aid,
    cid: claims.client_id ?? claims.cid,
    coworkers: claims.coworkers ?? [claims.client_id],
    subjects: (claims.subject ?? '').split(/\s+/).filter(Boolean),
    scope: parseScope(claims.scope),
    groups: [claims.domain],
    session: claims.session,
    zone: claims.zone,
  };
}

/** Claims for a principal: seed 003 names and the Wenex aliases, both. */
export function claimsFor(input: {
  tenant: string;
  session: string;
  client: string;
  coworkers: string[];
  scope: string[];
  user?: string;
  app?: string;
  subjects?: string[];
  zone?: string;
  strict?: boolean;
  type: TokenClaims['type'];
}): Omit<TokenClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'> {
  const subject = (input.subjects ?? []).map((s) => (s.includes('@') ? s : `${s}@${input.tenant}`)).join(' ');
  const claims: Omit<TokenClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'> = {
    sub: input.user ?? input.app ?? input.client,
    client_id: input.client,
    cid: input.client,
    coworkers: [...new Set([input.client, ...input.coworkers])],
    scope: input.scope.join(' '),
    session: input.session,
    domain: input.tenant,
    type: input.type,
  };
  if (input.user) claims.uid = input.user;
  if (input.app) claims.aid = input.app;
  if (subject) claims.subject = subject;
  if (input.zone) claims.zone = input.zone;
  if (input.strict) claims.strict = true;
  return claims;
}
