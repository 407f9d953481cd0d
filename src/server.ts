/** Starts Baton: configuration, context, migrations, keys, bootstrap, HTTP; shuts down gracefully on SIGINT/SIGTERM. */
import { loadConfig, type Config } from './config/index.js';
import { createContext } from './context.js';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { buildMetricsServer } from './ops/routes.js';
import { onShutdownSignals } from './ops/shutdown.js';
import { startBanner } from './banner.js';

export interface ServeOptions {
  /**
   * One server process of `baton serve --workers N` (cluster/workers.ts): its primary migrated the database,
   * bootstrapped, serves BATON_METRICS_PORT and prints the banner; this process builds its context and listens.
   */
  clusterWorker?: boolean;
}

export async function serve(config: Config = loadConfig(), opts: ServeOptions = {}): Promise<void> {
  const worker = opts.clusterWorker === true;
  const ctx = await createContext(config, { migrate: !worker });
  const boot = worker ? undefined : await bootstrap(ctx);
  const app = await buildApp(ctx);
  // L8: with BATON_METRICS_PORT, /metrics is served there only (loopback unless BATON_METRICS_HOST says otherwise).
  const metricsApp =
    config.metrics.port !== undefined && !worker ? await buildMetricsServer(ctx, app.metrics) : undefined;
  // SIGTERM/SIGINT: readiness 503, drain, close the listeners, finish in-flight requests, flush, exit (ops/shutdown.ts).
  onShutdownSignals({ app, ctx, ...(metricsApp ? { others: [metricsApp] } : {}) }, config.shutdown);
  await app.listen({ port: config.port, host: config.host });
  if (metricsApp) await metricsApp.listen({ port: config.metrics.port!, host: config.metrics.host });
  if (boot) process.stdout.write(startBanner(config, boot, ctx.managementAudience));
}
