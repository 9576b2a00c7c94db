import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { DispatcherStats, Store } from '@stratum/core';

/** Prometheus metrics: requests by route and status, latency, and the database pool. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'stratum_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'stratum_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry, prefix: 'stratum_' });
    const pool = new Gauge({
      name: 'stratum_db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const stats = store.poolStats();
        pool.set({ state: 'total' }, stats.total);
        pool.set({ state: 'idle' }, stats.idle);
        pool.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }

  /** The event plane: attempts and publications of this node's dispatcher, endpoints and deliveries by state. */
  watchEvents(store: Store, stats: DispatcherStats | undefined): void {
    if (stats) {
      const dispatched = new Gauge({
        name: 'stratum_events_dispatched',
        help: 'Webhook attempts (delivered, failed) and bus publications (published) of this node since start',
        labelNames: ['outcome'] as const,
        registers: [this.registry],
        collect() {
          for (const [outcome, value] of Object.entries(stats)) dispatched.set({ outcome }, value);
        },
      });
    }
    const endpoints = new Gauge({
      name: 'stratum_webhook_endpoints',
      help: 'Webhook endpoints by state (a paused endpoint needs an operator)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await store.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM stratum_webhook_endpoints WHERE configured GROUP BY state');
        endpoints.reset();
        for (const state of ['active', 'paused']) endpoints.set({ state }, rows.rows.find((r) => r.state === state)?.n ?? 0);
      },
    });
    const open = new Gauge({
      name: 'stratum_webhook_deliveries_open',
      help: 'Deliveries waiting or in flight (pending, delivering) and dead letters (dead)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await store.query<{ status: string; n: number }>(
          "SELECT status, count(*)::int AS n FROM stratum_deliveries WHERE status <> 'delivered' GROUP BY status");
        open.reset();
        for (const status of ['pending', 'delivering', 'dead']) open.set({ status }, rows.rows.find((r) => r.status === status)?.n ?? 0);
      },
    });
  }

  install(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
}
