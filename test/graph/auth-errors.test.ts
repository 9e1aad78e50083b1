import { describe, expect, it } from 'vitest';
import { GraphMail } from '../../connectors/graph/connector.ts';
import { startGraphSimulator } from '../../sandbox/graph/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { UpstreamUnavailable } from '../../src/errors.ts';

// Its own file (its own process): the simulator's CA is trusted once per process, so this suite's
// simulator must be the first one its process starts.
describe('Graph errors without an HTTP answer', () => {
  it('name the reason and the variables, not "failed with -1"', async () => {
    const sim = await startGraphSimulator();
    trustSimulatorCa(sim.tls.caPem);
    sim.addMailbox('max.vertrieb@example.com');
    try {
      const graph = new GraphMail({
        tenantId: sim.tenantId,
        clientId: sim.clientId,
        clientSecret: 'wrong-secret',
        authorityHost: sim.authorityHost,
        baseUrl: sim.graphBaseUrl,
      });
      const err = (await graph.getCalendarSettings('max.vertrieb@example.com').then(
        () => new Error('no error'),
        (e: unknown) => e,
      )) as Error;
      expect(err).toBeInstanceOf(UpstreamUnavailable);
      // The message quotes Entra's text (trace ids, timestamps): only the old "failed with -1" is wrong.
      expect(err.message).not.toMatch(/failed with -1\b/);
      expect(err.message).toContain('AADSTS7000215');
      expect(err.message).toContain('GRAPH_CLIENT_SECRET');
    } finally {
      await sim.close();
    }
  });
});
