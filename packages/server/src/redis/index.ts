/*
 * `@agent-gateway/server/redis`: several gateway processes sharing sessions through Redis.
 *   createGateway({ engine: redisEngine({ url: 'redis://127.0.0.1:6379' }) })
 * or, for one gateway whose logs outlive it: createGateway({ store: await redisStore({ url }) }).
 */
export { redisEngine, type RedisEngineOptions } from './engine.js';
export { redisStore, RedisSessionLogStore, RedisSessionLog, type RedisStoreOptions } from './log-store.js';
export type { RedisConnectionOptions } from './connection.js';
