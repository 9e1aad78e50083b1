import { buildCorpus } from '/work/wt/privacy/test/privacy/corpus.ts';
const mod = process.argv[2]!;
const { Pseudonymiser } = await import(`${mod}/src/privacy/pseudonymise.ts`);
const { classifySensitive } = await import(`${mod}/src/privacy/dlp.ts`);
const corpus = buildCorpus(600);
for (const n of corpus) { new Pseudonymiser(n.contact ?? {}).pseudonymise(n.text); classifySensitive(n.text); }
const big = corpus.map((n) => n.text).join('\n');
let wall = Infinity, cpu = Infinity;
for (let r = 0; r < 15; r++) {
  const t0 = performance.now(); const c0 = process.cpuUsage();
  new Pseudonymiser(corpus[0]?.contact ?? {}).pseudonymise(big); classifySensitive(big);
  const u = process.cpuUsage(c0);
  wall = Math.min(wall, performance.now() - t0); cpu = Math.min(cpu, (u.user + u.system) / 1000);
}
const mb = Buffer.byteLength(big) / 1e6;
console.log(mod, 'wall', (mb / wall * 1000).toFixed(2), 'cpu', (mb / cpu * 1000).toFixed(2));
