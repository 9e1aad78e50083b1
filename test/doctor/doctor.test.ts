import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, doctorFailed, formatDoctor } from '../../src/cli/doctor.ts';
import type { DoctorCheck } from '../../src/ports.ts';
import { startGraphSimulator, type GraphSimulator } from '../../sandbox/graph/simulator.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from '../../sandbox/hubspot/simulator.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from '../../sandbox/llm/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

/**
 * `draftbridge doctor` against the simulators and a private redis-server (password, AOF,
 * noeviction): all ✓ when everything is right, and for each failure of issue 34's list a ✗ row that
 * names the variable to change.
 */
const HUBSPOT_TOKEN = 'pat-eu1-doctor-test-token';
const REDIS_PASSWORD = 'doctor-redis-password-42';

describe('draftbridge doctor', () => {
  let redis: ChildProcess;
  let redisPort: number;
  let dir: string;
  let hubspot: HubSpotSimulator;
  let graph: GraphSimulator;
  let azure: AzureOpenAiSimulator;
  let usAzure: AzureOpenAiSimulator;
  let service: FastifyInstance;
  let serviceUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doctor-redis-'));
    redisPort = await freePort();
    redis = spawn(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--requirepass',
        REDIS_PASSWORD,
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const probe = new Redis({
        port: redisPort,
        password: REDIS_PASSWORD,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      const up = await probe.connect().then(
        () => true,
        () => false,
      );
      probe.disconnect();
      if (up) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    hubspot = await startHubSpotSimulator({ accessToken: HUBSPOT_TOKEN });
    hubspot.seedOwner({
      id: '501',
      email: 'max.vertrieb@example.com',
      firstName: 'Max',
      lastName: 'Vertrieb',
    });
    graph = await startGraphSimulator();
    trustSimulatorCa(graph.tls.caPem);
    graph.addMailbox('max.vertrieb@example.com');
    azure = await startAzureOpenAiSimulator();
    usAzure = await startAzureOpenAiSimulator({ region: 'East US' });
    service = Fastify();
    service.get('/healthz', async () => ({ status: 'ok' }));
    serviceUrl = await service.listen({ port: 0, host: '127.0.0.1' });
  }, 30_000);

  afterAll(async () => {
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([hubspot?.close(), graph?.close(), azure?.close(), usAzure?.close(), service?.close()]);
  });

  const env = (overrides: Record<string, string> = {}) =>
    testSettings({
      REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redisPort}`,
      HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
      HUBSPOT_BASE_URL: hubspot.url,
      GRAPH_TENANT_ID: graph.tenantId,
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      GRAPH_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      GRAPH_NOTIFICATION_URL: 'https://draftbridge.example.com/webhooks/graph',
      AZURE_OPENAI_ENDPOINT: azure.url,
      AZURE_OPENAI_API_KEY: azure.apiKey,
      AZURE_OPENAI_DEPLOYMENT: azure.deployment,
      AZURE_OPENAI_REGION: 'swedencentral',
      LOCAL_LLM_BASE_URL: `${azure.url}/v1`,
      LOCAL_LLM_MODEL: 'llama-local',
      // The public URL must be https; the reachability part is checked against a plain listener below.
      DRAFTBRIDGE_PUBLIC_URL: serviceUrl.replace('http://', 'https://'),
      ...overrides,
    });
  const run = async (overrides: Record<string, string> = {}) =>
    doctor({ settings: env(overrides), policy: defaultPolicy(), timeoutMs: 3000 });
  const failed = (rows: DoctorCheck[]) =>
    rows.filter((r) => !r.ok && !r.skipped).map((r) => ({ name: r.name, setting: r.setting }));

  it('all ✓ for a right configuration (except the https listener this test cannot offer)', async () => {
    const rows = await run({ DRAFTBRIDGE_PUBLIC_URL: serviceUrl });
    expect(failed(rows)).toEqual([{ name: 'public URL https', setting: 'DRAFTBRIDGE_PUBLIC_URL' }]);
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'Redis',
        'Redis persistence',
        'Redis maxmemory-policy',
        'HubSpot token',
        'Graph token',
        'Graph mailbox',
        'LLM eu',
        'LLM region',
        'LLM local',
        'public URL reachable',
      ]),
    );
    const table = formatDoctor(rows);
    expect(table).toMatch(/✓ Redis\s+connected/);
    expect(table).toContain('✗ public URL https');
    expect(table).toContain('→ change DRAFTBRIDGE_PUBLIC_URL');
    expect(table).not.toContain(REDIS_PASSWORD);
    expect(table).not.toContain(HUBSPOT_TOKEN);
    expect(doctorFailed(rows)).toBe(true);
  });

  it('unreachable Redis → REDIS_URL', async () => {
    const rows = await run({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(failed(rows)).toContainEqual({ name: 'Redis', setting: 'REDIS_URL' });
    expect(rows.find((r) => r.name === 'Redis')!.detail).toMatch(/not reachable \(ECONNREFUSED\)/);
  });

  it('wrong Redis password → reported as an authentication failure, REDIS_URL', async () => {
    const rows = await run({ REDIS_URL: `redis://:wrong-password@127.0.0.1:${redisPort}` });
    const row = rows.find((r) => r.name === 'Redis')!;
    expect(row).toMatchObject({ ok: false, setting: 'REDIS_URL (user:password)' });
    expect(row.detail).toMatch(/authentication failed/);
    expect(row.detail).not.toContain('wrong-password');
  });

  it('a Redis without AOF and with eviction → the Redis settings to change', async () => {
    const rows = await run({ REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    const shared = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const info = await shared.info('persistence');
    shared.disconnect();
    if (!info.includes('aof_enabled:1'))
      expect(failed(rows)).toContainEqual({ name: 'Redis persistence', setting: 'Redis config appendonly' });
  });

  it('bad HubSpot token → HUBSPOT_ACCESS_TOKEN', async () => {
    expect(failed(await run({ HUBSPOT_ACCESS_TOKEN: 'pat-eu1-wrong' }))).toContainEqual({
      name: 'HubSpot token',
      setting: 'HUBSPOT_ACCESS_TOKEN',
    });
  });

  it('bad Graph secret → GRAPH_CLIENT_SECRET', async () => {
    const rows = await run({ GRAPH_CLIENT_SECRET: 'not-the-secret' });
    expect(failed(rows)).toContainEqual({ name: 'Graph token', setting: 'GRAPH_CLIENT_SECRET' });
    expect(rows.find((r) => r.name === 'Graph token')!.detail).toContain('AADSTS7000215');
  });

  it('unreachable LLM → AZURE_OPENAI_ENDPOINT, with the host named', async () => {
    const port = await freePort();
    const rows = await run({ AZURE_OPENAI_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(failed(rows)).toContainEqual({ name: 'LLM eu', setting: 'AZURE_OPENAI_ENDPOINT' });
    expect(rows.find((r) => r.name === 'LLM eu')!.detail).toContain(`127.0.0.1:${port} not reachable`);
  });

  it('a deployment answering from a non-EU region → AZURE_OPENAI_ENDPOINT', async () => {
    const rows = await run({
      AZURE_OPENAI_ENDPOINT: usAzure.url,
      AZURE_OPENAI_API_KEY: usAzure.apiKey,
      AZURE_OPENAI_DEPLOYMENT: usAzure.deployment,
    });
    expect(failed(rows)).toContainEqual({ name: 'LLM region', setting: 'AZURE_OPENAI_ENDPOINT' });
    expect(rows.find((r) => r.name === 'LLM region')!.detail).toContain('East US');
  });

  it('http public URL → DRAFTBRIDGE_PUBLIC_URL; unreachable likewise', async () => {
    const rows = await run({ DRAFTBRIDGE_PUBLIC_URL: `http://127.0.0.1:${await freePort()}` });
    expect(failed(rows)).toEqual(
      expect.arrayContaining([
        { name: 'public URL https', setting: 'DRAFTBRIDGE_PUBLIC_URL' },
        { name: 'public URL reachable', setting: 'DRAFTBRIDGE_PUBLIC_URL' },
      ]),
    );
  });

  it('a policy routing to local without a local model, and no GRAPH_NOTIFICATION_URL → named', async () => {
    const settings = env();
    const rows = await doctor({
      settings: {
        ...settings,
        LOCAL_LLM_BASE_URL: undefined,
        LOCAL_LLM_MODEL: undefined,
        GRAPH_NOTIFICATION_URL: undefined,
      },
      policy: defaultPolicy(),
      timeoutMs: 3000,
    });
    expect(failed(rows)).toEqual(
      expect.arrayContaining([
        { name: 'local LLM route', setting: 'LOCAL_LLM_BASE_URL' },
        { name: 'Graph approvals', setting: 'GRAPH_NOTIFICATION_URL' },
      ]),
    );
  });
});
