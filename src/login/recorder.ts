/**
 * Login counters (`logins_count`, `last_login`, `last_ip`), written behind the response like the tenant logs: an
 * exchange's answer does not wait on an UPDATE. Logins of one user within a chunk become one increment. Counters
 * are in storage within `intervalMs` (and on close); a crash loses at most that window's counts, never a user.
 * Like Auth0's, these fields are not read back by the login that sets them: the event sees the stored values.
 */
import { systemClock, type Clock } from '../clock.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import { createWriteBehind, type WriteBehindOptions } from '../storage/write-behind.js';

export interface LoginRecorder {
  record(userId: string, ip: string | null): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Login {
  userId: string;
  at: string;
  ip: string | null;
}

export function createLoginRecorder(
  users: Pick<UsersRepository, 'recordLogins'>,
  opts: Partial<Pick<WriteBehindOptions, 'intervalMs' | 'onError'>> & { clock?: Clock } = {},
): LoginRecorder {
  const clock = opts.clock ?? systemClock;
  const batches = createWriteBehind<Login>(
    (chunk) => {
      const byUser = new Map<string, { userId: string; count: number; at: string; ip: string | null }>();
      for (const l of chunk) {
        const seen = byUser.get(l.userId);
        if (seen) Object.assign(seen, { count: seen.count + 1, at: l.at, ip: l.ip });
        else byUser.set(l.userId, { ...l, count: 1 });
      }
      return users.recordLogins([...byUser.values()]);
    },
    {
      intervalMs: opts.intervalMs ?? 100,
      // One transaction per 50 logins at most, written within milliseconds under load.
      batchSize: 50,
      chunkSize: 50,
      onError:
        opts.onError ?? ((err, n) => process.emitWarning(`dropped ${n} login counts: ${(err as Error).message}`)),
    },
  );
  return {
    record: (userId, ip) => batches.add({ userId, at: new Date(clock.now()).toISOString(), ip }),
    flush: () => batches.flush(),
    close: () => batches.close(),
  };
}
