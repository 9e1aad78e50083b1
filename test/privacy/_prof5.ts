import { buildCorpus } from './corpus.ts';
import { findNames } from '../../src/privacy/names.ts';
import { identifierSpans } from '../../src/privacy/identifiers.ts';
import { recognise } from '../../src/privacy/recognisers.ts';
import { classifySensitive } from '../../src/privacy/dlp.ts';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
const big = buildCorpus(600).map((n) => n.text).join('\n');
const best = (label: string, f: () => unknown) => { for (let r = 0; r < 3; r++) f(); let b = 1e9; for (let r = 0; r < 25; r++) { const c = process.cpuUsage(); f(); const u = process.cpuUsage(c); b = Math.min(b, (u.user + u.system) / 1000); } console.log(label.padEnd(12), b.toFixed(2), 'ms'); };
best('findNames', () => findNames(big));
best('identifiers', () => identifierSpans(big, []));
best('recognise', () => recognise(big));
best('classify', () => classifySensitive(big));
best('pseud', () => new Pseudonymiser({}).pseudonymise(big));
const P = Pseudonymiser.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
const acc: Record<string, number> = {};
for (const name of ['replaceLearned', 'placeholderOf', 'learn']) {
  const orig = P[name]!;
  P[name] = function (this: unknown, ...a: unknown[]) { const t = performance.now(); try { return orig.apply(this, a); } finally { acc[name] = (acc[name] ?? 0) + performance.now() - t; } };
}
for (let r = 0; r < 20; r++) new Pseudonymiser({}).pseudonymise(big);
console.log(Object.entries(acc).map(([k, v]) => `${k} ${(v / 20).toFixed(2)}`).join(' '));
