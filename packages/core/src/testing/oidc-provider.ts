import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** Algorithms a test provider can sign with (all asymmetric, as real providers do). */
export type TestAlg = 'RS256' | 'ES256' | 'EdDSA' | 'PS256';

interface TestKey {
  kid: string;
  alg: TestAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export interface SignOptions {
  /** Name of the key to sign with (default `rsa`). */
  key?: string;
  /** Overrides the header's kid (an unknown kid, for instance). */
  kid?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
}

/**
 * A stand-in for an external OpenID Connect provider: real key pairs, a JWKS served over HTTP on
 * 127.0.0.1, and tokens signed with the private keys. Keys can be added and removed (rotation),
 * the JWKS can be made to fail, and every JWKS fetch is counted.
 */
export class TestOidcProvider {
  readonly audience: string;
  /** JWKS responses served so far. */
  hits = 0;
  /** Status the JWKS endpoint answers with; anything but 200 simulates an outage. */
  status = 200;
  private readonly keys = new Map<string, TestKey>();
  private readonly published = new Set<string>();

  private constructor(private readonly server: Server, readonly issuer: string, audience: string) {
    this.audience = audience;
  }

  static async start(audience = 'api://stratum-test'): Promise<TestOidcProvider> {
    let provider: TestOidcProvider | undefined;
    const server = createServer((req, res) => provider!.handle(req.url ?? '', res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    provider = new TestOidcProvider(server, `http://127.0.0.1:${port}/`, audience);
    await provider.addKey('rsa', 'RS256');
    await provider.addKey('ec', 'ES256');
    return provider;
  }

  get jwksUri(): string {
    return `${this.issuer}jwks`;
  }

  /** Environment for a platform that trusts this provider. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { AUTH_PROVIDER: 'oidc', OIDC_ISSUER: this.issuer, OIDC_AUDIENCE: this.audience, OIDC_JWKS_URI: this.jwksUri, ...extra };
  }

  private handle(url: string, res: import('node:http').ServerResponse): void {
    if (url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    this.hits++;
    if (this.status !== 200) {
      res.writeHead(this.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const keys = [...this.published].map((name) => this.keys.get(name)!.jwk);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  }

  /** Generates a key pair and publishes its public half (unless `publish` is false). */
  async addKey(name: string, alg: TestAlg, publish = true): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${name}-${Math.random().toString(36).slice(2, 10)}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    this.keys.set(name, { kid, alg, privateKey, publicKey, jwk });
    if (publish) this.published.add(name);
  }

  /** Stops publishing a key (the provider rotated it out). */
  unpublish(name: string): void {
    this.published.delete(name);
  }

  kidOf(name: string): string {
    return this.key(name).kid;
  }

  private key(name: string): TestKey {
    const key = this.keys.get(name);
    if (!key) throw new Error(`no test key ${name}`);
    return key;
  }

  /** Standard claims for a subject; `claims` overrides or adds (iss, aud, email, ...). */
  claims(subject: string, claims: JWTPayload = {}, expiresIn = 300): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return { iss: this.issuer, aud: this.audience, sub: subject, iat: now, exp: now + expiresIn, ...claims };
  }

  async sign(subject: string, claims: JWTPayload = {}, options: SignOptions = {}): Promise<string> {
    const key = this.key(options.key ?? 'rsa');
    return new SignJWT(this.claims(subject, claims, options.expiresIn))
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  /** The algorithm-confusion attack: HS256 keyed with the provider's public RSA key (PEM). */
  async signHs256WithPublicKey(subject: string): Promise<string> {
    const key = this.key('rsa');
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    return new SignJWT(this.claims(subject)).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' }).sign(secret);
  }

  /** An unsecured JWT (`alg: none`) with an empty signature. */
  unsigned(subject: string): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT', kid: this.kidOf('rsa') })}.${part(this.claims(subject))}.`;
  }

  /** A valid token whose payload was then changed (another subject), signature kept. */
  async tampered(subject: string, as: string): Promise<string> {
    const [header, , signature] = (await this.sign(subject)).split('.');
    const payload = Buffer.from(JSON.stringify(this.claims(as))).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
