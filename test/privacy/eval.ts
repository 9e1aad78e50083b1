// `npm run eval:privacy`: the measured privacy table (README), exit 1 when a target is missed.
import { buildCorpus } from './corpus.ts';
import { evaluate, formatEvaluation, missedTargets } from './evaluate.ts';

const result = evaluate(buildCorpus(600));
console.log(formatEvaluation(result));
const missed = missedTargets(result, { timing: true });
if (missed.length > 0) {
  console.log(`\ntargets missed:\n${missed.map((m) => `  - ${m}`).join('\n')}`);
  process.exitCode = 1;
} else console.log('\nall targets met');
