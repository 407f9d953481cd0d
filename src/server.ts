/** Starts Baton: configuration, context, migrations, keys, bootstrap, HTTP; shuts down gracefully on SIGINT/SIGTERM. */
import { loadConfig, type Config } from './config/index.js';
import { createContext } from './context.js';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { buildMetricsServer } from './ops/routes.js';
import { onShutdownSignals } from './ops/shutdown.js';

export async function serve(config: Config = loadConfig()): Promise<void> {
  const ctx = await createContext(config);
  const boot = await bootstrap(ctx);
  const app = await buildApp(ctx);
  // L8: with BATON_METRICS_PORT, /metrics is served there only (loopback unless BATON_METRICS_HOST says otherwise).
  const metricsApp = config.metrics.port !== undefined ? await buildMetricsServer(ctx, app.metrics) : undefined;
  // SIGTERM/SIGINT: readiness 503, drain, close the listeners, finish in-flight requests, flush, exit (ops/shutdown.ts).
  onShutdownSignals({ app, ctx, ...(metricsApp ? { others: [metricsApp] } : {}) }, config.shutdown);
  await app.listen({ port: config.port, host: config.host });
  if (metricsApp) await metricsApp.listen({ port: config.metrics.port!, host: config.metrics.host });
  const storage = config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  const lines = [
    '',
    `Baton is listening on http://${config.host}:${config.port} (issuer ${config.issuer}, storage ${storage})`,
    `Management API client: ${boot.adminClientId}`,
  ];
  const guarded = config.metrics.token ? ' (bearer token required)' : '';
  if (metricsApp) lines.push(`Metrics on http://${config.metrics.host}:${config.metrics.port}/metrics${guarded}`);
  else if (guarded) lines.push(`Metrics on the main port at /metrics${guarded}`);
  else
    lines.push(
      'Warning: /metrics is public on the main port; set BATON_METRICS_PORT (a loopback listener) or BATON_METRICS_TOKEN',
    );
  if (boot.generatedSecret) {
    lines.push(
      `Management API client secret (shown once, store it now): ${boot.generatedSecret}`,
      '',
      'Get a Management API token:',
      `  curl -s ${config.issuer}oauth/token -d grant_type=client_credentials \\`,
      `    -d client_id=${boot.adminClientId} -d client_secret=${boot.generatedSecret} \\`,
      `    --data-urlencode audience=${ctx.managementAudience}`,
    );
  } else if (!config.adminClientSecret) {
    lines.push(
      '(its secret was printed at first start; set BATON_ADMIN_CLIENT_ID/BATON_ADMIN_CLIENT_SECRET to choose your own)',
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');
}
