/**
 * The audit trail's write-behind buffers as Prometheus metrics (issue 13, docs/deployment.md "Audit trail"): what
 * waits for the database, and how often the database refused a write. Read from the buffers at each scrape.
 */
import client from 'prom-client';
import type { WriteStats } from '../storage/write-behind.js';

type Buffers = Record<'logs' | 'logins', { stats(): WriteStats }>;

export function registerAuditMetrics(registry: client.Registry, buffers: Buffers): void {
  const each = (pick: (s: WriteStats) => number) =>
    (Object.keys(buffers) as Array<keyof Buffers>).map((b) => [b, pick(buffers[b].stats())] as const);
  new client.Gauge({
    name: 'baton_audit_buffered_entries',
    help: 'Tenant log entries (buffer="logs") and login counts (buffer="logins") waiting for the database',
    labelNames: ['buffer'] as const,
    registers: [registry],
    collect() {
      for (const [buffer, n] of each((s) => s.pending)) this.set({ buffer }, n);
    },
  });
  const counter = (name: string, help: string, pick: (s: WriteStats) => number) =>
    new client.Counter({
      name,
      help,
      labelNames: ['buffer'] as const,
      registers: [registry],
      collect() {
        // The buffers count since start; a counter may only grow, so it is set to their total at each scrape.
        this.reset();
        for (const [buffer, n] of each(pick)) this.inc({ buffer }, n);
      },
    });
  counter(
    'baton_audit_write_failures_total',
    'Writes of buffered audit entries the database refused (each is retried)',
    (s) => s.failures,
  );
  counter(
    'baton_audit_write_retries_total',
    'Writes of buffered audit entries made again after a refusal',
    (s) => s.retries,
  );
  counter(
    'baton_audit_dropped_entries_total',
    'Audit entries given up at shutdown, the database still refusing them (never otherwise)',
    (s) => s.dropped,
  );
}
