/**
 * The documents are built as a few block kinds and rendered twice, to Markdown (the stored,
 * reviewable form) and to one printable HTML page. Inline text may use `code` and **bold**.
 */
export type Block =
  | { h: 1 | 2 | 3; text: string }
  | { p: string }
  | { ul: string[] }
  | { table: { head: string[]; rows: string[][] } }
  /** A call-out: the DRAFT mark, a warning, a "to complete". */
  | { note: string };

export interface ComplianceDocument {
  /** File stem: `dpia` → `dpia.de.md`. */
  id: string;
  lang: 'de' | 'en';
  title: string;
  blocks: Block[];
}

const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(doc: ComplianceDocument): string {
  const out: string[] = [];
  for (const b of doc.blocks) {
    if ('h' in b) out.push(`${'#'.repeat(b.h)} ${b.text}`);
    else if ('p' in b) out.push(b.p);
    else if ('ul' in b) out.push(b.ul.map((i) => `- ${i}`).join('\n'));
    else if ('note' in b) out.push(`> ${b.note}`);
    else {
      const { head, rows } = b.table;
      out.push(
        [
          `| ${head.map(cell).join(' | ')} |`,
          `| ${head.map(() => '---').join(' | ')} |`,
          ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
        ].join('\n'),
      );
    }
  }
  return `${out.join('\n\n')}\n`;
}

const escape = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Escapes, then turns `code` and **bold** into elements (the only inline markup the documents use). */
export function inline(text: string): string {
  return escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function blockHtml(b: Block): string {
  if ('h' in b) return `<h${b.h}>${inline(b.text)}</h${b.h}>`;
  if ('p' in b) return `<p>${inline(b.p)}</p>`;
  if ('ul' in b) return `<ul>${b.ul.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`;
  if ('note' in b) return `<p class="note">${inline(b.note)}</p>`;
  const { head, rows } = b.table;
  return `<table><thead><tr>${head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** One printable page holding every document, each starting on a new sheet. */
export function toHtml(docs: ComplianceDocument[], title: string): string {
  const sections = docs
    .map((d) => `<section lang="${d.lang}">${d.blocks.map(blockHtml).join('\n')}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="${docs[0]?.lang ?? 'en'}"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:11pt/1.45 system-ui,sans-serif;color:#111;margin:2rem;max-width:60rem}
h1{font-size:1.5rem;margin-top:0}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ccc}h3{font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.92em;background:#f4f4f4;padding:0 .2em}.note{border-left:4px solid #c77700;background:#fff6e6;padding:.4rem .8rem}
section+section{break-before:page;margin-top:3rem}
@media print{body{margin:0}section+section{margin-top:0}}
</style></head><body>
${sections}
</body></html>
`;
}
