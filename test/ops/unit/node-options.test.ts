import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_NODE_OPTIONS } from '../../../tools/bench/inflight.ts';

// The bench measures memory with the heap limits a deployment runs with: they must be the same.
describe('deployment heap limits', () => {
  it('the Dockerfile, npm start and the bench’s in-flight process use the same V8 flags', () => {
    const flags = DEPLOYMENT_NODE_OPTIONS.join(' ');
    expect(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')).toContain(
      `ENV NODE_OPTIONS="${flags}"`,
    );
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toContain(`node ${flags} bin/draftbridge.mjs`);
  });
});
