import type { ComplianceFacts, ConfigFacts, FlowFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, routeLine, say, systemName, todo, type Lang } from './common.ts';

/** Record of processing activities (Art. 30(1) GDPR): one activity per policy flow. */

const SENSITIVE_ACTION = {
  block: ['kein Entwurf; die Anfrage wird angehalten', 'no draft; the request stops'],
  local: ['nur über die Route `local`', 'only through the `local` route'],
  redact: ['die Stelle wird vor dem LLM-Aufruf entfernt', 'the passage is removed before the LLM call'],
} as const;

export function partyRows(c: ConfigFacts, lang: Lang): string[][] {
  const t = say(lang);
  const show = (v: string | null, what: string, key: string) =>
    v ?? todo(lang, `${what} (\`compliance.${key}\`)`);
  return [
    [
      t('Verantwortlicher', 'Controller'),
      show(c.operator.controller.name, t('Name', 'name'), 'controller.name'),
    ],
    [
      t('Anschrift', 'Address'),
      show(c.operator.controller.address, t('Anschrift', 'address'), 'controller.address'),
    ],
    [
      t('Kontakt', 'Contact'),
      show(c.operator.controller.contact, t('Kontakt', 'contact'), 'controller.contact'),
    ],
    [
      t('Datenschutzbeauftragte(r)', 'Data-protection officer'),
      show(c.operator.dpo.name, t('Name', 'name'), 'dpo.name'),
    ],
    [t('Kontakt DSB', 'DPO contact'), show(c.operator.dpo.contact, t('Kontakt', 'contact'), 'dpo.contact')],
  ];
}

export function transfersOfFlow(c: ConfigFacts, flow: FlowFacts, lang: Lang): string {
  const t = say(lang);
  const systems = [c.crm, c.mail, ...c.llmRoutes.filter((r) => r.route === flow.llmRoute)];
  const third = systems.filter((s) => s.region?.zone === 'third');
  const open = systems.filter((s) => !s.region || s.region.zone === 'unknown');
  if (third.length > 0)
    return (
      t('**Ja**: ', '**Yes**: ') +
      third.map((s) => `${s.product} (${s.region!.label})`).join(', ') +
      t(' – siehe Auftragsverarbeiter und Übermittlungen', ' – see processors and transfers')
    );
  if (open.length > 0)
    return todo(lang, t('Ort offen für ', 'location open for ') + open.map((s) => s.product).join(', '));
  return t('keine: alle Regionen in der EU/im EWR', 'none: every region is in the EU/EEA');
}

function activity(c: ConfigFacts, flow: FlowFacts, lang: Lang): Block[] {
  const t = say(lang);
  const route = c.llmRoutes.find((r) => r.route === flow.llmRoute);
  const recipients = [
    `${systemName(c.crm, lang)}: ${t('Quelle der Daten; erhält Notiz und Status', 'source of the data; receives a note and the status')}`,
    `${systemName(c.mail, lang)}: ${flow.delivery === 'review' ? t('Entwurf im Postfach des zuständigen Betreuers', "the draft in the owner's mailbox") : t('Versand der E-Mail', 'sends the e-mail')}`,
    route
      ? `${routeLine(route, lang)}; ${t('nur pseudonymisierter Text (Platzhalter)', 'pseudonymised text only (placeholders)')}`
      : `LLM ${t('Route', 'route')} \`${flow.llmRoute}\``,
  ];
  const rows = [
    [t('Zweck', 'Purpose'), flow.purpose],
    [t('Rechtsgrundlage', 'Legal basis'), flow.legalBasis],
    [
      t('Betroffene', 'Data subjects'),
      t(`Kontakte und Leads in ${c.crm.product}`, `contacts and leads in ${c.crm.product}`),
    ],
    [
      t('Datenkategorien (gelesene Felder)', 'Categories of data (fields read)'),
      flow.fields.map((f) => `${f.logical} (\`${f.crmName}\`)`).join(', '),
    ],
    [t('Auslöser', 'Triggers'), flow.triggers.join('; ') || t('keiner', 'none')],
    [t('Empfänger', 'Recipients'), recipients.join(' · ')],
    [
      t('Zustellung', 'Delivery'),
      flow.delivery === 'review'
        ? t(
            'Entwurf zur Prüfung (`review`): Senden ist die Freigabe',
            'draft for review (`review`): sending is the approval',
          )
        : t('automatischer Versand (`auto`)', 'sent automatically (`auto`)'),
    ],
    [t('Drittlandübermittlung', 'Third-country transfers'), transfersOfFlow(c, flow, lang)],
    [
      t('Löschfrist', 'Retention'),
      `${duration(flow.retentionMs, lang)} (${t('Klasse', 'class')} \`${flow.retentionClass}\`)`,
    ],
    [
      t('TOM', 'Security measures'),
      t(
        'siehe Dokument „Technische und organisatorische Maßnahmen“',
        'see the document "Technical and organisational measures"',
      ),
    ],
  ];
  return [
    { h: 2, text: `${t('Verarbeitungstätigkeit', 'Processing activity')}: ${flow.name}` },
    { table: { head: [t('Angabe', 'Item'), t('Inhalt', 'Content')], rows } },
  ];
}

export function recordDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const title = t(
    'Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)',
    'Record of processing activities (Art. 30 GDPR)',
  );
  const local = c.llmRoutes.find((r) => r.route === 'local');
  const sensitive = Object.entries(c.sensitive).map(([cat, action]) => {
    const words = SENSITIVE_ACTION[action as keyof typeof SENSITIVE_ACTION];
    const where = action === 'local' && local ? ` (${systemName(local, lang)})` : '';
    return [cat, `\`${action}\`: ${words ? (lang === 'de' ? words[0] : words[1]) : action}${where}`];
  });
  const blocks: Block[] = [
    ...header(facts, lang, title),
    { h: 2, text: t('Verantwortlicher', 'Controller') },
    { table: { head: [t('Angabe', 'Item'), t('Inhalt', 'Content')], rows: partyRows(c, lang) } },
    ...c.flows.flatMap((f) => activity(c, f, lang)),
    {
      h: 2,
      text: t(
        'Besondere Kategorien (Art. 9 DSGVO) in Freitext',
        'Special categories (Art. 9 GDPR) in free text',
      ),
    },
    sensitive.length > 0
      ? {
          table: {
            head: [
              t('Kategorie', 'Category'),
              t('Behandlung (Richtlinie `sensitive`)', 'Handling (policy `sensitive`)'),
            ],
            rows: sensitive,
          },
        }
      : {
          p: t(
            'Die Richtlinie legt keine Behandlung fest (`sensitive` ist leer).',
            'The policy sets no handling (`sensitive` is empty).',
          ),
        },
  ];
  return { id: 'record', lang, title, blocks };
}
