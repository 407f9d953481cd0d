/** What `baton serve` prints once it listens: where, the admin client, its secret once, and where /metrics is. */
import type { Config } from './config/index.js';
import type { BootstrapResult } from './bootstrap.js';

export function startBanner(config: Config, boot: BootstrapResult, managementAudience: string): string {
  const storage = config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  const processes = config.workers > 1 ? `, ${config.workers} server processes` : '';
  const lines = [
    '',
    `Baton is listening on http://${config.host}:${config.port} (issuer ${config.issuer}, storage ${storage}${processes})`,
    `Management API client: ${boot.adminClientId}`,
  ];
  const guarded = config.metrics.token ? ' (bearer token required)' : '';
  if (config.metrics.port !== undefined)
    lines.push(`Metrics on http://${config.metrics.host}:${config.metrics.port}/metrics${guarded}`);
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
      `    --data-urlencode audience=${managementAudience}`,
    );
  } else if (!config.adminClientSecret) {
    lines.push(
      '(its secret was printed at first start; set BATON_ADMIN_CLIENT_ID/BATON_ADMIN_CLIENT_SECRET to choose your own)',
    );
  }
  return lines.join('\n') + '\n\n';
}
