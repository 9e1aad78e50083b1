import { SettingsSchema } from '../../src/settings.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

/** The production examples stay true to the service: every variable templated, probes on real routes. */
const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}/${path}`, 'utf8');

describe('production deployment examples', () => {
  it('.env.example names every variable the service reads, each with a comment above its group', () => {
    // Every variable the settings schema reads (the schema, not its source text: formatting may change).
    const variables = Object.keys(SettingsSchema.shape);
    expect(variables.length).toBeGreaterThan(50);
    const example = read('.env.example');
    const defined = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(variables.filter((v) => !defined.has(v))).toEqual([]);
    expect(example).not.toMatch(/^DRAFTBRIDGE_SANDBOX=1/m);
  });

  it('compose: Redis with AOF, noeviction and a password; API and workers apart; readiness on /readyz', () => {
    const compose = parse(read('deploy/docker-compose.prod.yml')) as {
      services: Record<string, { command?: string[]; healthcheck?: { test?: string[] } }>;
    };
    const redis = compose.services.redis!.command!.join(' ');
    for (const flag of ['--appendonly yes', '--maxmemory-policy noeviction', '--requirepass'])
      expect(redis).toContain(flag);
    expect(compose.services.api!.command).toEqual(['node', 'bin/draftbridge.mjs', 'serve', 'api']);
    expect(compose.services.worker!.command).toEqual(['node', 'bin/draftbridge.mjs', 'serve', 'worker']);
    expect(compose.services.api!.healthcheck!.test!.join(' ')).toContain('/readyz');
  });

  it('kubernetes: API and worker Deployments with probes on /livez and /readyz, resources and the secret', () => {
    const docs = parseAllDocuments(read('deploy/kubernetes/draftbridge.yaml')).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string };
          spec: { template: { spec: { containers: Record<string, unknown>[] } } };
        },
    );
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['draftbridge-api', 'draftbridge-worker']);
    const api = deployments.find((d) => d.metadata.name === 'draftbridge-api')!.spec.template.spec
      .containers[0] as Record<string, { httpGet?: { path: string } }>;
    expect(api.livenessProbe!.httpGet!.path).toBe('/livez');
    expect(api.readinessProbe!.httpGet!.path).toBe('/readyz');
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0] as {
        resources?: { requests?: object; limits?: object };
        envFrom?: { secretRef: { name: string } }[];
      };
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      expect(c.envFrom?.[0]?.secretRef.name).toBe('draftbridge-env');
    }
    expect(
      (parse(read('deploy/kubernetes/secret.example.yaml')) as { metadata: { name: string } }).metadata.name,
    ).toBe('draftbridge-env');
  });
});
