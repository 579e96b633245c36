import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** tsuiki's Prometheus metrics, all registered in one registry of their own. */
export interface Metrics {
  readonly registry: Registry;
  /** Labels method, route (the matched pattern, never the raw path), status. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Labels verb, platform (slack | teams | console), outcome (ok | error). */
  readonly commandsTotal: Counter<'verb' | 'platform' | 'outcome'>;
  /** Label verb. */
  readonly commandDuration: Histogram<'verb'>;
  /** Labels target (e.g. status_page, email, webhook, slack, teams, statuspage_io) and outcome (e.g. ok, retry, failed). */
  readonly deliveriesTotal: Counter<'target' | 'outcome'>;
  /** 1 when the last database check succeeded, 0 otherwise. */
  readonly dbReady: Gauge;
  /** The exposition text for a scrape. */
  render(): Promise<string>;
  /** The Content-Type of {@link Metrics.render}'s text. */
  readonly contentType: string;
}

/** Creates a registry with Node's default metrics and tsuiki's own; call once per process outside tests. */
export function createMetrics(): Metrics {
  // A registry per call, not prom-client's global one, so tests can build many servers side by side.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, matched route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const commandsTotal = new Counter({
    name: 'commands_total',
    help: 'Chat commands handled, by verb, platform and outcome.',
    labelNames: ['verb', 'platform', 'outcome'] as const,
    registers: [registry],
  });
  // Commands create channels and call translators, so they run longer than plain HTTP requests.
  const commandDuration = new Histogram({
    name: 'command_duration_seconds',
    help: 'Chat command duration in seconds, by verb.',
    labelNames: ['verb'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const deliveriesTotal = new Counter({
    name: 'deliveries_total',
    help: 'Delivery attempts of public updates, by target and outcome.',
    labelNames: ['target', 'outcome'] as const,
    registers: [registry],
  });
  const dbReady = new Gauge({
    name: 'db_ready',
    help: '1 when the last database check succeeded, 0 otherwise.',
    registers: [registry],
  });

  return {
    registry,
    httpRequestDuration,
    commandsTotal,
    commandDuration,
    deliveriesTotal,
    dbReady,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
