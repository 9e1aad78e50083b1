import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../..', import.meta.url).pathname;

/** `docker compose config` (the plugin) or the standalone `docker-compose config`; .ci/run installs one. */
function composeConfig(): string {
  const plugin = spawnSync('docker', ['compose', 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DRAFTBRIDGE_SANDBOX: '' },
  });
  if (plugin.status === 0) return plugin.stdout;
  return execFileSync('docker-compose', ['config'], { cwd: root, encoding: 'utf8' });
}

describe('container set-up', () => {
  it('docker compose config accepts the file: Redis with AOF persistence and the sandboxed service', () => {
    const config = parse(composeConfig()) as {
      services: Record<
        string,
        { command?: string[]; environment?: Record<string, string>; depends_on?: unknown; build?: unknown }
      >;
      volumes: object;
    };
    expect(Object.keys(config.services).sort()).toEqual(['draftbridge', 'redis']);
    expect(config.services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(config.services.draftbridge!.environment).toMatchObject({
      REDIS_URL: 'redis://redis:6379',
      DRAFTBRIDGE_SANDBOX: '1',
      HOST: '0.0.0.0',
    });
    expect(config.services.draftbridge!.build).toBeDefined();
    expect(Object.keys(config.volumes)).toContain('redis-data');
  });

  it('the Dockerfile is multi-stage, runs as a non-root user and starts `serve all`', () => {
    const dockerfile = readFileSync(`${root}/Dockerfile`, 'utf8');
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).toMatch(/node:2[2-9]|node:[3-9]\d/);
    expect(finalStage).toContain('CMD ["node", "bin/draftbridge.mjs", "serve", "all"]');
    // Everything the image copies exists.
    for (const [, dir] of finalStage.matchAll(/^COPY (?!--from)(\S+) /gm)) {
      expect(() => readFileSync(`${root}/${dir}`)).not.toThrow(/ENOENT/);
    }
  });
});
