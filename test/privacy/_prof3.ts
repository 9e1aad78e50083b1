import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { buildCorpus } from './corpus.ts';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
import { classifySensitive } from '../../src/privacy/dlp.ts';
const notes = buildCorpus(600);
for (const n of notes) { new Pseudonymiser(n.contact ?? {}).pseudonymise(n.text); classifySensitive(n.text); }
const big = notes.map((n) => n.text).join('\n');
const run = () => { new Pseudonymiser(notes[0]!.contact ?? {}).pseudonymise(big); classifySensitive(big); };
const s = new Session(); s.connect();
await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 200 }); await s.post('Profiler.start');
for (let r = 0; r < 20; r++) run();
const { profile } = await s.post('Profiler.stop');
writeFileSync('/tmp/steady.cpuprofile', JSON.stringify(profile));
