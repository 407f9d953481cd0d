/**
 * What a tenant log entry may hold (DESIGN D8, docs/security.md; issue 10, M4): credentials scrubbed from `details` at any depth
 * (`scrubSecrets`), every string cut to a maximum length (`clipString`), and the whole entry shrunk to a maximum
 * stored size, `details` first (`boundEntry`). NUL characters, which PostgreSQL text refuses, become U+FFFD.
 */
import { LOG_TEXT_COLUMNS, type LogEntry } from '../storage/repositories/logs.js';
import { LOG_MAX_DETAIL_ITEMS, TRUNCATED_SUFFIX } from './limits.js';

/** Keys whose values are credentials or tokens; removed from `details` at any depth. */
const SECRET_KEYS = new Set([
  'client_secret',
  'client_assertion',
  'password',
  'subject_token',
  'actor_token',
  'access_token',
  'id_token',
  'refresh_token',
  'authorization',
  'secret',
  'secrets',
  'code_verifier',
  'private_key',
]);

export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 16 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEYS.has(k.toLowerCase())) continue;
    out[k] = scrubSecrets(v, depth + 1);
  }
  return out;
}

/** Deeper `details` are replaced by a marker (below scrubSecrets' depth, so nothing unscrubbed is kept). */
const MAX_DETAIL_DEPTH = 8;
/** The string limit `details` may shrink to before they are replaced whole; then the top-level fields shrink. */
const MIN_SHRUNK_LENGTH = 32;
/** The entry's top-level strings: every optional text column, its type and its scope. */
const TOP_LEVEL_STRINGS = ['type', ...LOG_TEXT_COLUMNS, 'scope'] as const;

/** Cut to `max` UTF-16 code units, never between the halves of a surrogate pair; NUL becomes U+FFFD. */
export function clipString(s: string, max: number): string {
  if (s.includes('\u0000')) s = s.replaceAll('\u0000', '\uFFFD');
  if (s.length <= max) return s;
  let end = Math.max(0, max - TRUNCATED_SUFFIX.length);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end) + TRUNCATED_SUFFIX;
}

function clipValue(value: unknown, max: number, depth: number): unknown {
  if (typeof value === 'string') return clipString(value, max);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object')
    return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return clipValue(toJSON.call(value), max, depth);
  if (depth >= MAX_DETAIL_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) {
    const out = value.slice(0, LOG_MAX_DETAIL_ITEMS).map((v) => clipValue(v, max, depth + 1));
    if (value.length > LOG_MAX_DETAIL_ITEMS) out.push(`[${value.length - LOG_MAX_DETAIL_ITEMS} more items]`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let kept = 0;
  let dropped = 0;
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
    if (kept >= LOG_MAX_DETAIL_ITEMS) {
      dropped++;
      continue;
    }
    kept++;
    out[clipString(k, max)] = clipValue((value as Record<string, unknown>)[k], max, depth + 1);
  }
  if (dropped) out['[more keys]'] = dropped;
  return out;
}

const bytes = (s: string | null | undefined) => (s ? Buffer.byteLength(s) : 0);

/** The entry as stored: every string cut to `top` (top-level) or `inner` (details), details serialized. */
function shaped(e: LogEntry, top: number, inner: number, details: Record<string, unknown> | null | undefined) {
  const out: LogEntry = { ...e };
  for (const k of TOP_LEVEL_STRINGS) {
    const v = k === 'scope' && Array.isArray(e.scope) ? e.scope.join(' ') : e[k];
    if (typeof v === 'string')
      (out as unknown as Record<string, unknown>)[k] = clipString(v, k === 'type' ? Math.min(top, 64) : top);
  }
  out.details = details ? (clipValue(details, inner, 0) as Record<string, unknown>) : (details ?? null);
  const json = out.details ? JSON.stringify(out.details) : '';
  let size = bytes(out.log_id) + bytes(out.date) + bytes(json);
  for (const k of TOP_LEVEL_STRINGS) size += bytes(out[k] as string | null | undefined);
  return { entry: out, size };
}

/**
 * Cuts an entry to the string and size limits: details shrink first, then go, then the top-level fields shrink.
 * Returns the entry and its stored size.
 */
export function bounded(e: LogEntry, maxString: number, maxBytes: number): { entry: LogEntry; size: number } {
  let inner = maxString;
  let r = shaped(e, maxString, inner, e.details);
  while (r.size > maxBytes && inner > MIN_SHRUNK_LENGTH) {
    inner = Math.max(MIN_SHRUNK_LENGTH, Math.floor(inner / 2));
    r = shaped(e, maxString, inner, e.details);
  }
  if (r.size <= maxBytes) return r;
  const marker = e.details ? { truncated: 'details exceeded the log entry size limit' } : e.details;
  let top = maxString;
  r = shaped(e, top, inner, marker);
  while (r.size > maxBytes && top > 16) {
    top = Math.max(16, Math.floor(top / 2));
    r = shaped(e, top, inner, marker);
  }
  return r;
}
