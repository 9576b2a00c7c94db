import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver written only from the Standard Webhooks specification
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
 * deliberately sharing no code with the platform's signer or the SDK's verifier: the signed
 * content is `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 with the base64 key after
 * `whsec_`, sent as space-separated `v1,<base64>` signatures; timestamps within five minutes.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds = Date.now() / 1000): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: any;
  verified: boolean;
  /** Whether the receiver answered 2xx (it accepted the event). */
  ok: boolean;
}

export type ReceiverMode = 'ok' | 'fail' | 'hang';

/** A local receiver that records every request; `mode` makes it fail (500) or hang until the sender gives up. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  mode: ReceiverMode = 'ok';
  /** Answers this late, so a test can catch deliveries in flight. */
  delayMs = 0;
  /** Requests that reached the receiver, answered or not yet. */
  arrived = 0;
  secrets: string[] = [];
  private server?: Server;
  private waiters: (() => void)[] = [];

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/cqrs`;
  }

  /** Accepted (2xx) deliveries only, first receipt of each webhook-id. */
  accepted(): Received[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      if (!r.ok || seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.arrived++;
        if (this.mode === 'hang') return;
        setTimeout(() => this.answer(req.headers, body, res), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  private answer(headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    const verified = this.secrets.some((secret) => verifyStandardWebhook(secret, headers, body));
    const ok = this.mode === 'ok' && verified;
    this.received.push({ id: String(headers['webhook-id']), headers, body: JSON.parse(body), verified, ok });
    res.statusCode = ok ? 204 : this.mode === 'fail' ? 500 : 401;
    res.end();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits until `done` holds over what was received, or fails after `timeoutMs`. */
  async until(done: (received: Received[]) => boolean, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met in ${timeoutMs} ms; got ${this.received.length} requests`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
    return this.received;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
