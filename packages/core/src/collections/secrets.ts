import { createHash, randomBytes } from 'node:crypto';

/** A high-entropy secret the platform generates (APT, api key), with its type prefix. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Hash of a generated secret for lookup. SHA-256 suffices because the secret has 256 bits of
 * entropy; passwords, which people choose, use argon2id instead (auth/passwords.ts).
 */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
