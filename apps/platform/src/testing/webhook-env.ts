/**
 * Dispatcher settings of every suite that delivers webhooks. They share one PostgreSQL, where any
 * running dispatcher may deliver any suite's events, so they must all retry the same way.
 */
export const WEBHOOK_TEST_ENV: Record<string, string> = {
  STRATUM_ROLE: 'all',
  EVENTS_POLL_MS: '50',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '200',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_TIMEOUT_MS: '2000',
};
