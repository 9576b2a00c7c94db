export { createPlatformClient, PlatformClient, type RawRequest } from './client.js';
export { CollectionClient, type CreateOptions, type CreateResult, type WithEtag, type WriteOptions } from './collection.js';
export { PlatformError } from './errors.js';
export { readSearch, type CountParams, type FindByIdParams, type FindParams, type PageParams } from './query.js';
export { parseSse, type SseEvent } from './sse.js';
export { ifMatchHeader, type ClientOptions, type PlatformResponse, type RequestOptions, type TokenSource } from './transport.js';
export type * from './types.js';
export type { Plan, PlanLimits, Usage } from '@stratum/contracts';
export { TokenClient, type ClientSignIn, type PasswordSignIn } from './tokens.js';
export {
  applyChange, changeVersion, generateWebhookSecret, memoryChangeTarget, signWebhook, verifyWebhook, WebhookVerificationError,
  type ChangeTarget, type MemoryChangeTarget, type VerifiedWebhook, type VerifyWebhookOptions, type WebhookHeaders,
  type WebhookVerificationReason,
} from './webhooks.js';
