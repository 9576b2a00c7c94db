import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectionRegistry } from '../collections/registry.js';
import { BUILTIN_COLLECTIONS } from '../collections/builtins.js';
import { DomainError } from '../errors.js';
import { backoffMs, signatureHeader } from './dispatcher.js';
import { newWebhookSecret, parseWebhookTarget } from './webhook-config.js';

test('signatures match the Standard Webhooks test vector, one per live secret', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  assert.equal(signatureHeader([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), expected);
  const two = signatureHeader([newWebhookSecret(), secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}').split(' ');
  assert.equal(two.length, 2);
  assert.equal(two[1], expected);
});

test('backoff doubles per attempt up to the cap, with jitter in the upper half of each step', () => {
  const config = { backoffBaseMs: 1000, backoffMaxMs: 60_000 };
  assert.equal(backoffMs(config, 1, () => 0), 500);
  assert.equal(backoffMs(config, 1, () => 1), 1000);
  assert.equal(backoffMs(config, 4, () => 1), 8000);
  assert.equal(backoffMs(config, 40, () => 1), 60_000, 'capped, and no overflow for large attempt numbers');
  assert.equal(backoffMs(config, 40, () => 0), 30_000);
});

test('a CQRS config is checked: URL, Authorization header value, known collections and ops, nothing else', () => {
  const registry = new CollectionRegistry(BUILTIN_COLLECTIONS);
  assert.deepEqual(parseWebhookTarget({ webhook: 'https://app.example/cqrs', authorization: 'Bearer x', collections: ['identity/users', 'identity/users'], ops: ['c'] }, registry),
    { url: 'https://app.example/cqrs', authorization: 'Bearer x', collections: ['identity/users'], ops: ['c'] });
  const refused = (value: unknown, path: string) => {
    assert.throws(() => parseWebhookTarget(value, registry), (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.equal(error.details?.[0].path, path);
      return true;
    });
  };
  refused('https://x', 'value');
  refused({}, 'value.webhook');
  refused({ webhook: 'javascript:alert(1)' }, 'value.webhook');
  refused({ webhook: 'https://a:b@x/' }, 'value.webhook');
  refused({ webhook: 'https://x/', authorization: 'Bearer \n injected' }, 'value.authorization');
  refused({ webhook: 'https://x/', collections: [] }, 'value.collections');
  refused({ webhook: 'https://x/', collections: ['identity/users', 'nope/none'] }, 'value.collections.1');
  refused({ webhook: 'https://x/', ops: ['c', 'x'] }, 'value.ops.1');
  refused({ webhook: 'https://x/', secret: 'mine' }, 'value.secret');
});
