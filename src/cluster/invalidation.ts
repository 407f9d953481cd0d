/**
 * Cache invalidation across nodes (DESIGN sections 5 and 7). Configuration every request reads (keys, profiles,
 * throttling settings, and the configuration reads of cluster/config-reads.ts) is cached in process; a write publishes a topic, and every node, this one included, drops
 * or reloads what it caches for it. With BATON_REDIS_URL the topic also goes over Redis pub/sub to the other nodes;
 * without it there is one node and the local handlers are all there is. Under `baton serve --workers N` the other
 * processes of the machine are told over IPC first, and the write waits until they applied it (worker-link.ts).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { WorkerLink } from './worker-link.js';

type Topic = 'keys' | 'profiles' | 'throttle' | 'config';
type Handler = () => void | Promise<void>;

export interface InvalidationBus {
  /** Runs this node's handlers for the topic, then tells the other nodes. */
  publish(topic: Topic): Promise<void>;
  subscribe(topic: Topic, handler: Handler): void;
  close(): Promise<void>;
}

const CHANNEL = 'baton:invalidate';

export async function createInvalidationBus(
  redisUrl: string | undefined,
  onError: (err: unknown) => void,
  siblings?: WorkerLink,
): Promise<InvalidationBus> {
  const handlers = new Map<Topic, Handler[]>();
  // The processes of one `--workers` machine share their id on the channel: they tell each other over IPC.
  const nodeId = siblings?.machineId ?? randomUUID();
  const runLocal = async (topic: Topic) => {
    for (const h of handlers.get(topic) ?? []) {
      try {
        await h();
      } catch (err) {
        onError(err);
      }
    }
  };
  siblings?.onInvalidate((topic) => runLocal(topic as Topic));
  let pub: Redis | undefined;
  let sub: Redis | undefined;
  if (redisUrl) {
    pub = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    sub = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    pub.on('error', onError);
    sub.on('error', onError);
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(CHANNEL);
    sub.on('message', (_channel: string, message: string) => {
      const [from, topic] = message.split(' ');
      if (from !== nodeId && topic) void runLocal(topic as Topic);
    });
  }
  return {
    async publish(topic) {
      await runLocal(topic);
      await siblings?.broadcast(topic);
      if (pub) await pub.publish(CHANNEL, `${nodeId} ${topic}`).catch(onError);
    },
    subscribe(topic, handler) {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
    async close() {
      await Promise.all([sub?.quit().catch(() => undefined), pub?.quit().catch(() => undefined)]);
    },
  };
}
