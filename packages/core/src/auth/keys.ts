import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { randomBytes } from 'node:crypto';
import type { SqlExecutor } from '../store/types.js';

export const SIGNING_ALG = 'EdDSA';

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  private_jwk: JWK;
  created_at: string;
  retired_at: string | null;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * Asymmetric signing keys kept in the database, so every node signs and verifies with the same
 * set. The newest key signs; retired keys still verify until `overlapSeconds` after retirement,
 * so tokens issued just before a rotation stay valid until they expire.
 */
export class KeyRing {
  private signing?: SigningKey;
  private verifying = new Map<string, CryptoKey>();
  private loadedAt = 0;

  constructor(
    private readonly db: SqlExecutor,
    private readonly overlapSeconds: number,
    private readonly reloadMs = 60_000,
  ) {}

  /** Loads the keys, creating the first one on first start. */
  async init(): Promise<void> {
    await this.load();
    if (!this.signing) {
      await this.rotate();
    }
  }

  async rotate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const kid = randomBytes(12).toString('base64url');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
    await this.db.query('UPDATE stratum_signing_keys SET retired_at = now() WHERE retired_at IS NULL');
    await this.db.query('INSERT INTO stratum_signing_keys (kid, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4)',
      [kid, SIGNING_ALG, JSON.stringify(publicJwk), JSON.stringify(privateJwk)]);
    await this.load();
    return kid;
  }

  private async rows(): Promise<KeyRow[]> {
    const result = await this.db.query<KeyRow>(
      `SELECT kid, alg, public_jwk, private_jwk, created_at, retired_at FROM stratum_signing_keys
       WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1) ORDER BY created_at DESC`,
      [this.overlapSeconds],
    );
    return result.rows;
  }

  private async load(): Promise<void> {
    const rows = await this.rows();
    const verifying = new Map<string, CryptoKey>();
    for (const row of rows) verifying.set(row.kid, (await importJWK(row.public_jwk, SIGNING_ALG)) as CryptoKey);
    const active = rows.find((r) => r.retired_at === null);
    this.signing = active ? { kid: active.kid, privateKey: (await importJWK(active.private_jwk, SIGNING_ALG)) as CryptoKey } : undefined;
    this.verifying = verifying;
    this.loadedAt = Date.now();
  }

  async signingKey(): Promise<SigningKey> {
    if (Date.now() - this.loadedAt > this.reloadMs) await this.load();
    if (!this.signing) throw new Error('no signing key: KeyRing.init() was not called');
    return this.signing;
  }

  /** The public key for a kid; an unknown kid triggers one reload (a rotation on another node). */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const known = this.verifying.get(kid);
    if (known) return known;
    if (Date.now() - this.loadedAt > 1000) {
      await this.load();
      return this.verifying.get(kid);
    }
    return undefined;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.rows()).map((r) => r.public_jwk) };
  }
}
