/**
 * BullMQ's connection to the queue's Redis. maxRetriesPerRequest null: a command waits while
 * Redis restarts instead of failing, so workers and the enqueuer ride out a restart (BullMQ
 * requires it of workers); ioredis reconnects on its own, backing off to 2 s.
 */
export function redisConnection(url: string) {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2_000) };
}
