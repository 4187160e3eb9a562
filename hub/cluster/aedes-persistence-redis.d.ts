// aedes-persistence-redis ships no types; the hub uses only its factory and destroy().
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }
  export default function redisPersistence(options: { conn: Redis; maxSessionDelivery?: number }): RedisPersistence;
}
