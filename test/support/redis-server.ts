/** A private redis-server on a free port, for tests that stop and restart Redis (the chaos run's, without persistence). */
export { PrivateRedis as DisposableRedis, freePort } from '../../tools/chaos/private-redis.ts';
