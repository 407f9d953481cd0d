/**
 * Cache invalidation across nodes (DESIGN sections 5 and 7). Configuration every request reads (keys, profiles,
 * throttling settings, and the configuration reads of cluster/config-reads.ts) is cached in process; a write publishes a topic, and every node, this one included, drops
 * or reloads what it caches for it. With BATON_REDIS_URL the topic also goes over Redis pub/sub to the other nodes;
 * without it there is one node and the local handlers are all there is. Under `baton serve --workers N` the other
 * processes of the machine are told over IPC first, and the write waits until they applied it (worker-link.ts).
 */
import { randomUUID } from 'node:crypto';
import type { RedisClients } from './redis.js';
import type { WorkerLink } from './worker-link.js';

type Topic = 'keys' | 'profiles' | 'throttle' | 'config';
type Handler = () => void | Promise<void>;

const TOPICS: readonly Topic[] = ['keys', 'profiles', 'throttle', 'config'];

export interface InvalidationBus {
  /** Runs this node's handlers for the topic, then tells the other nodes. */
  publish(topic: Topic): Promise<void>;
  subscribe(topic: Topic, handler: Handler): void;
  close(): Promise<void>;
}

const CHANNEL = 'baton:invalidate';

/**
 * While Redis is away, messages are lost both ways (pub/sub keeps nothing), so a reconnect repairs both sides:
 * - the subscriber, back after an outage, runs every topic's handlers here: this node drops everything it caches
 *   (configuration, profiles, throttling settings, and reloads the key set), since it may have missed invalidations;
 * - the publisher, back after an outage, publishes again the topics it could not send, for nodes whose own
 *   connection never dropped (a partition of this node alone).
 * Until then a stale entry lives at most its cache's TTL (a minute; docs/deployment.md).
 */
export async function createInvalidationBus(
  redisUrl: string | undefined,
  redis: RedisClients,
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
  const local: InvalidationBus = {
    async publish(topic) {
      await runLocal(topic);
      await siblings?.broadcast(topic);
    },
    subscribe(topic, handler) {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
    close: () => Promise.resolve(),
  };
  if (!redisUrl) return local;

  const pub = await redis.connect(redisUrl, 'publisher');
  const sub = await redis.connect(redisUrl, 'subscriber').catch(async (err: unknown) => {
    await pub.close();
    throw err;
  });
  await sub.client.subscribe(CHANNEL).catch(async (err: unknown) => {
    await Promise.all([sub.close(), pub.close()]);
    throw err;
  });
  sub.client.on('message', (_channel: string, message: string) => {
    const [from, topic] = message.split(' ');
    if (from !== nodeId && TOPICS.includes(topic as Topic)) void runLocal(topic as Topic);
  });
  sub.onReconnect(() => {
    for (const topic of TOPICS) void runLocal(topic);
  });
  const unsent = new Set<Topic>();
  const send = (topic: Topic) =>
    pub.client.publish(CHANNEL, `${nodeId} ${topic}`).then(
      () => unsent.delete(topic),
      () => unsent.add(topic),
    );
  pub.onReconnect(() => {
    for (const topic of [...unsent]) void send(topic);
  });
  return {
    ...local,
    async publish(topic) {
      await local.publish(topic);
      await send(topic);
    },
    async close() {
      await Promise.all([sub.close(), pub.close()]);
    },
  };
}
