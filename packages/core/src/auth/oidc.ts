import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ErrorCode } from '@stratum/contracts';
import type { OidcConfig } from '../config.js';
import { DomainError } from '../errors.js';

/**
 * Who the external provider says signed in (seed 004): provider identity, not the local user.
 * Profile fields are hints for the local user's profile and never identify anyone.
 */
export interface ProviderPrincipal {
  provider: 'oidc';
  subject: string;
  email?: string;
  name?: string;
  picture?: string;
}

/** Asymmetric algorithms only: a shared secret (HS*) or an unsigned token (`none`) is never accepted. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'PS256'] as const;

/** Tolerated clock difference between the provider and this node. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface OidcVerifierOptions {
  /** Overrides `jwksCooldownSeconds` in milliseconds (tests). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again; jose's default is ten minutes. */
  cacheMaxAgeMs?: number;
  timeoutMs?: number;
}

/** The provider's key set could not be fetched: our problem, not the caller's token. */
class JwksUnavailable extends Error {}

const unauthorized = (message: string) => new DomainError(ErrorCode.UNAUTHORIZED, message);

/** Fetches the JWKS and insists on a 200 with a JSON body; every other outcome is "unavailable". */
async function fetchJwks(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new JwksUnavailable(`the JWKS request failed: ${(cause as Error).message}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new JwksUnavailable(`the JWKS answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new JwksUnavailable('the JWKS is not JSON');
  }
  return Response.json(body);
}

/**
 * Verifies access tokens of an external OpenID Connect provider: signature by a key of the
 * provider's JWKS (fetched, cached, refetched for an unknown `kid` at most once per cooldown),
 * an asymmetric algorithm, the configured issuer and audience, and an unexpired `exp`.
 */
export class OidcVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: Pick<OidcConfig, 'issuer' | 'audience' | 'jwksUri' | 'jwksCooldownSeconds'>, options: OidcVerifierOptions = {}) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUri), {
      cooldownDuration: options.cooldownMs ?? config.jwksCooldownSeconds * 1000,
      cacheMaxAge: options.cacheMaxAgeMs,
      timeoutDuration: options.timeoutMs ?? 5_000,
      [customFetch]: fetchJwks,
    });
  }

  async verify(token: string): Promise<ProviderPrincipal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: [...OIDC_ALGORITHMS],
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw this.failure(error);
    }
    return providerPrincipal(payload);
  }

  private failure(error: unknown): DomainError {
    if (error instanceof JwksUnavailable || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
      return new DomainError(ErrorCode.UNAVAILABLE, 'The identity provider\'s signing keys could not be fetched');
    }
    if (error instanceof joseErrors.JWTExpired) return unauthorized('The token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) return unauthorized(`The token's ${error.claim} claim is not valid`);
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return unauthorized('The token\'s algorithm is not accepted');
    if (error instanceof joseErrors.JWKSNoMatchingKey) return unauthorized('The token was signed with an unknown key');
    return unauthorized('The token is not valid');
  }
}

/** A printable string of at most `max` characters, else nothing: profile hints must not break writes. */
function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > max || /[\u0000-\u001f\u007f]/.test(trimmed)) return undefined;
  return trimmed;
}

function pictureOf(value: unknown): string | undefined {
  const raw = text(value, 2048);
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? raw : undefined;
  } catch {
    return undefined;
  }
}

function emailOf(payload: JWTPayload): string | undefined {
  if (payload.email_verified === false) return undefined;
  const email = text(payload.email, 320);
  return email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined;
}

/** Normalises verified claims (seed 004): the subject, and profile hints only when well-formed. */
export function providerPrincipal(payload: JWTPayload): ProviderPrincipal {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('The token\'s sub claim is not valid');
  const principal: ProviderPrincipal = { provider: 'oidc', subject: payload.sub };
  const email = emailOf(payload);
  const name = text(payload.name, 1024);
  const picture = pictureOf(payload.picture);
  if (email) principal.email = email;
  if (name) principal.name = name;
  if (picture) principal.picture = picture;
  return principal;
}
