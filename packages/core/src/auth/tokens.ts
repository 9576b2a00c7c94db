import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { ErrorCode, type TokenClaims } from '@stratum/contracts';
import { DomainError } from '../errors.js';
import { SIGNING_ALG, type KeyRing } from './keys.js';

export interface TokenSettings {
  issuer: string;
  audience: string;
}

export type UnsignedClaims = Omit<TokenClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'>;

export const newJti = () => randomBytes(16).toString('base64url');

const unauthorized = (message: string) => new DomainError(ErrorCode.UNAUTHORIZED, message);

/** Verified tokens remembered per node; enough for the busy ones, bounded in memory. */
const VERIFIED_CACHE_SIZE = 5000;

/**
 * Signs and verifies JWTs: EdDSA only, with kid, issuer and audience always checked. A token
 * that verified is remembered until it expires, keyed by its exact text (any change to it is a
 * different key and is verified afresh); revocation is not affected, since the session is
 * checked on every request.
 */
export class TokenService {
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly keys: KeyRing,
    private readonly settings: TokenSettings,
  ) {}

  async sign(claims: UnsignedClaims, ttlSeconds: number, jti = newJti()): Promise<{ token: string; jti: string; exp: number }> {
    const key = await this.keys.signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, exp };
  }

  /** Verifies signature, alg, kid, iss, aud, exp and the token type; any failure is a 401. */
  async verify(token: string, type: TokenClaims['type']): Promise<TokenClaims> {
    const known = this.verified.get(token);
    if (known && known.type === type) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(token);
    }
    const claims = await this.verifySignature(token, type);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string, type: TokenClaims['type']): Promise<TokenClaims> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw unauthorized('The token is malformed');
    }
    if (!kid) throw unauthorized('The token has no key id');
    const key = await this.keys.verificationKey(kid);
    if (!key) throw unauthorized('The token was signed with an unknown key');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALG],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat', 'session', 'domain'],
      });
      if (payload.type !== type) throw unauthorized(`Expected an ${type} token`);
      return payload as unknown as TokenClaims;
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthorized('The token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`The token's ${error.claim} claim is not valid`);
      throw unauthorized('The token is not valid');
    }
  }
}
