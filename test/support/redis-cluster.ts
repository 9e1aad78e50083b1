import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A private Redis Cluster from the machine's redis-server: `masters` nodes, each with `replicas`
 * replicas, on ports of its own (each node also needs port + 10000 for the cluster bus) and data
 * directories in a temp folder. For the cluster tests and the failover test.
 */
export class LocalRedisCluster {
  readonly ports: number[];
  private readonly dir: string;
  private readonly children = new Map<number, ChildProcess>();

  private constructor(ports: number[]) {
    this.ports = ports;
    this.dir = mkdtempSync(join(tmpdir(), 'draftbridge-cluster-'));
  }

  static async start(options: { masters?: number; replicas?: number } = {}): Promise<LocalRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 0;
    const cluster = new LocalRedisCluster(await clusterPorts(masters * (1 + replicas)));
    for (const port of cluster.ports) cluster.startNode(port);
    for (const port of cluster.ports)
      await waitFor(() => cli(port, 'ping').then((r) => r === 'PONG'), `node ${port} up`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...cluster.ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await cluster.waitHealthy();
    return cluster;
  }

  /** `redis+cluster://` with every node as a seed. */
  get url(): string {
    return `redis+cluster://${this.ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  private startNode(port: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--logfile',
        join(this.dir, `node-${port}.log`),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '1500',
        '--appendonly',
        'yes',
        '--save',
        '',
        '--dir',
        this.dir,
        '--appendfilename',
        `aof-${port}.aof`,
        '--appenddirname',
        `aof-${port}`,
      ],
      { stdio: 'ignore' },
    );
    this.children.set(port, child);
    // CI lists every node it started, to kill what an interrupted run leaves behind (.ci/run).
    const pidFile = process.env.DRAFTBRIDGE_TEST_CLUSTER_PIDFILE;
    if (pidFile && child.pid) appendFileSync(pidFile, `${child.pid}\n`);
  }

  /** Every node answers and agrees the cluster is ok (all slots served). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const alive = this.ports.filter(
      (p) => this.children.get(p)?.exitCode === null && !this.children.get(p)?.killed,
    );
    await waitFor(
      async () => {
        const states = await Promise.all(alive.map((p) => cli(p, 'cluster', 'info').catch(() => '')));
        if (!states.every((s) => s.includes('cluster_state:ok'))) return false;
        // A replica that never finished its first sync will not take over from a failed master.
        const replication = await Promise.all(
          alive.map((p) => cli(p, 'info', 'replication').catch(() => '')),
        );
        return replication.every((r) => r.includes('role:master') || r.includes('master_link_status:up'));
      },
      'cluster_state:ok and replicas in sync',
      timeoutMs,
    );
  }

  /** Ports of the current masters. */
  async masters(): Promise<number[]> {
    const alive = this.ports.filter(
      (p) => this.children.get(p)?.exitCode === null && !this.children.get(p)?.killed,
    );
    const nodes = await cli(alive[0]!, 'cluster', 'nodes');
    return nodes
      .split('\n')
      .filter((l) => l.includes('master') && !l.includes('fail'))
      .map((l) => Number(/:(\d+)@/.exec(l)?.[1]))
      .filter((p) => Number.isFinite(p));
  }

  /** Waits until a replica has taken over from the killed master and the cluster is ok again. */
  async waitFailover(killed: number, timeoutMs = 30_000): Promise<void> {
    const expected = (await this.masters()).length;
    await waitFor(
      async () => {
        const masters = await this.masters();
        return !masters.includes(killed) && masters.length >= expected - (masters.includes(killed) ? 1 : 0);
      },
      `a replica to replace ${killed}`,
      timeoutMs,
    );
    await this.waitHealthy(timeoutMs);
  }

  /** Starts a killed node again on its port, data and cluster config; it rejoins with its slots. */
  async restart(port: number): Promise<void> {
    this.startNode(port);
    await waitFor(() => cli(port, 'ping').then((r) => r === 'PONG'), `node ${port} up again`);
    await this.waitHealthy();
  }

  /** SIGKILLs one node's process (a crashed master); resolves once it is gone. */
  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 3_000 });
  return stdout.trim();
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Ports whose cluster-bus twin (port + 10000) is free as well, from
 * `DRAFTBRIDGE_TEST_CLUSTER_PORTS=low-high` when set (CI machines and shared hosts give each run a
 * range of its own), else 17000–19999; the search starts at a random port of the range.
 */
async function clusterPorts(count: number): Promise<number[]> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.DRAFTBRIDGE_TEST_CLUSTER_PORTS ?? '');
  const [low, high] = range ? [Number(range[1]), Number(range[2])] : [17000, 19999];
  const span = high - low + 1;
  const offset = Math.floor(Math.random() * span);
  const ports: number[] = [];
  for (let i = 0; ports.length < count && i < span; i++) {
    const port = low + ((offset + i) % span);
    if ((await isFree(port)) && (await isFree(port + 10000))) ports.push(port);
  }
  if (ports.length < count) throw new Error(`no ${count} free ports for a redis cluster in ${low}-${high}`);
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
