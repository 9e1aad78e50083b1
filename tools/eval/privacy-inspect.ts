// `node tools/eval/privacy-inspect.ts [dev|held-out] [filter]`: prints the notes where a labelled value
// leaked or a clean note changed, to study failure classes (fix rules, never copy held-out wording).
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
import { buildCorpus } from '../../test/privacy/corpus.ts';
import { leaked } from './privacy-score.ts';
import { buildHeldOut } from '../../test/privacy/held-out/corpus.ts';

const [set = 'dev', filter = ''] = process.argv.slice(2);
const notes = set === 'dev' ? buildCorpus(600) : buildHeldOut();
for (const note of notes) {
  const ps = new Pseudonymiser(note.contact ?? {}, { lang: note.lang });
  const out = ps.pseudonymise(note.text);
  const mapping = ps.mapping();
  const leaks = note.entities.filter((e) => leaked(e, out)).map((e) => `${e.type}:${e.value}`);
  const touched = note.clean && out.replace(/\[\[COMPANY_\d+\]\]/g, (p) => mapping[p] ?? p) !== note.text;
  if (
    (leaks.length > 0 || touched) &&
    (!filter || leaks.some((l) => l.startsWith(filter)) || (filter === 'clean' && touched))
  ) {
    console.log(
      `${note.id}: ${leaks.join(', ') || 'clean note changed'}\n  in:  ${note.text}\n  out: ${out}`,
    );
  }
}
