// `npm run eval:privacy`: the measured privacy tables (README) for the dev corpus and the held-out
// set; exit 1 when a target is missed on either.
import { buildCorpus } from './corpus.ts';
import { evaluate, formatEvaluation, missedHeldOutTargets, missedTargets } from './evaluate.ts';
import { buildHeldOut } from './held-out/corpus.ts';

const sets = [
  { title: 'dev', result: evaluate(buildCorpus(600)), missed: missedTargets },
  { title: 'held-out', result: evaluate(buildHeldOut()), missed: missedHeldOutTargets },
];
for (const { title, result, missed: check } of sets) {
  console.log(formatEvaluation(result, title));
  const missed = check(result, { timing: true });
  if (missed.length > 0) {
    console.log(`\ntargets missed (${title}):\n${missed.map((m) => `  - ${m}`).join('\n')}\n`);
    process.exitCode = 1;
  } else console.log(`\nall ${title} targets met\n`);
}
