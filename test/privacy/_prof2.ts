import { buildHeldOut } from './held-out/corpus.ts';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
const notes = buildHeldOut();
const big = notes.map((n) => n.text).join('\n');
new Pseudonymiser(notes[0]!.contact ?? {}).pseudonymise(big);
const t = performance.now();
for (let r = 0; r < 20; r++) new Pseudonymiser(notes[0]!.contact ?? {}).pseudonymise(big);
console.log(((performance.now() - t) / 20).toFixed(1), 'ms', big.length);
