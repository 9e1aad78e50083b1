/**
 * Redis writes recorded to run later inside one Lua script (the audit seal), so that what summarises
 * or indexes a batch of events commits atomically with the batch's links: exactly once, whichever
 * process seals. Keys go into the script's KEYS (declared, as a Redis Cluster wants; they all share
 * the prefix's hash tag), commands into one JSON argument the script replays in order.
 */
export class ScriptOps {
  private readonly keyIndex: Map<string, number>;
  readonly keys: string[];
  private readonly ops: string[][] = [];
  private readonly offset: number;

  /** `keys`/`keyIndex`: a table shared with other op lists of the same script; `offset`: KEYS before it. */
  constructor(offset: number, shared?: { keys: string[]; keyIndex: Map<string, number> }) {
    this.offset = offset;
    this.keys = shared?.keys ?? [];
    this.keyIndex = shared?.keyIndex ?? new Map();
  }

  /** Another op list over the same key table (a second group the script applies on its own condition). */
  sibling(): ScriptOps {
    return new ScriptOps(this.offset, { keys: this.keys, keyIndex: this.keyIndex });
  }

  get size(): number {
    return this.ops.length;
  }

  private add(command: string, key: string, args: (string | number)[]): this {
    let i = this.keyIndex.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.offset + this.keys.length;
      this.keyIndex.set(key, i);
    }
    this.ops.push([command, String(i), ...args.map(String)]);
    return this;
  }

  hincrby(key: string, field: string, by: number): this {
    return this.add('HINCRBY', key, [field, by]);
  }
  hset(key: string, field: string, value: string): this {
    return this.add('HSET', key, [field, value]);
  }
  hdel(key: string, field: string): this {
    return this.add('HDEL', key, [field]);
  }
  zadd(key: string, score: number, member: string): this {
    return this.add('ZADD', key, [score, member]);
  }
  zrem(key: string, member: string): this {
    return this.add('ZREM', key, [member]);
  }
  zremrangebyrank(key: string, start: number, stop: number): this {
    return this.add('ZREMRANGEBYRANK', key, [start, stop]);
  }
  set(key: string, value: string): this {
    return this.add('SET', key, [value]);
  }
  expire(key: string, seconds: number): this {
    return this.add('EXPIRE', key, [seconds]);
  }
  pexpire(key: string, ms: number): this {
    return this.add('PEXPIRE', key, [ms]);
  }

  /** The ops as the script's JSON argument. */
  toJson(): string {
    return JSON.stringify(this.ops);
  }
}

/** Lua: replays a `ScriptOps` JSON argument (commands name their key by its KEYS index). */
export const APPLY_OPS_LUA = `
local function apply(json)
  for _, op in ipairs(cjson.decode(json)) do
    redis.call(op[1], KEYS[tonumber(op[2])], unpack(op, 3))
  end
end
`;
