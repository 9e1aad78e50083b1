import { systemsOf, type ComplianceFacts, type ConfigFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, say, systemName, todo, type Lang } from './common.ts';
import { partyRows } from './record.ts';

/**
 * Information for data subjects (Art. 13/14 GDPR) and the AI notice (AI Act Art. 50), quoting the
 * notices the service really appends to its mails.
 */
/** The text block for the company's privacy notice: who, why, what, to whom, where, rights. */
function privacyNoticeBlocks(c: ConfigFacts, lang: Lang): Block[] {
  const t = say(lang);
  const recipients = systemsOf(c)
    .filter((s) => !s.selfHosted)
    .map((s) => systemName(s, lang));
  const thirdCountry = systemsOf(c).filter((s) => s.region?.zone === 'third');
  const open = systemsOf(c).filter(
    (s) => !(s.selfHosted && s.kind === 'llm') && (!s.region || s.region.zone === 'unknown'),
  );
  return [
    { h: 2, text: t('Textbaustein für die Datenschutzerklärung', 'Text for the privacy notice') },
    { table: { head: [t('Angabe', 'Item'), t('Inhalt', 'Content')], rows: partyRows(c, lang) } },
    {
      p: t(
        `Wenn Sie um einen Rückruf bitten oder als Interessent erfasst werden, verwenden wir Angaben aus unserem CRM (${c.crm.product}), um Ihnen eine E-Mail mit Terminvorschlägen zu schreiben. Dabei unterstützt uns ein KI-System. Es erhält Ihre Angaben nicht: Namen, Adressen und andere persönliche Werte werden vorher durch Platzhalter ersetzt.`,
        `When you ask for a callback or are recorded as a new lead, we use details from our CRM (${c.crm.product}) to write you an e-mail offering appointments. An AI system helps us draft it. It does not receive your details: names, addresses and other personal values are replaced by placeholders first.`,
      ),
    },
    {
      ul: c.flows.map((f) =>
        t(
          `**${f.purpose}** – Rechtsgrundlage: ${f.legalBasis}; verwendete Angaben: ${f.fields.map((x) => x.logical).join(', ')}; ${f.delivery === 'review' ? 'jede E-Mail wird vor dem Versand von einem Mitarbeitenden geprüft' : 'die E-Mail wird automatisch versandt'}; Speicherdauer bei uns: ${duration(f.retentionMs, 'de')}.`,
          `**${f.purpose}** – legal basis: ${f.legalBasis}; details used: ${f.fields.map((x) => x.logical).join(', ')}; ${f.delivery === 'review' ? 'a member of staff checks every e-mail before it is sent' : 'the e-mail is sent automatically'}; kept by us for: ${duration(f.retentionMs, 'en')}.`,
        ),
      ),
    },
    { p: `${t('Empfänger (Auftragsverarbeiter)', 'Recipients (processors)')}: ${recipients.join('; ')}.` },
    {
      p:
        thirdCountry.length > 0
          ? todo(
              lang,
              t(
                `Drittlandübermittlung beschreiben (${thirdCountry.map((s) => `${s.product}: ${s.region!.label}`).join(', ')}) und die Garantien nennen`,
                `describe the third-country transfer (${thirdCountry.map((s) => `${s.product}: ${s.region!.label}`).join(', ')}) and name the safeguards`,
              ),
            )
          : open.length > 0
            ? todo(
                lang,
                t(
                  `Verarbeitungsort von ${open.map((s) => s.product).join(', ')} ergänzen, dann Aussage zur Drittlandübermittlung`,
                  `the processing location of ${open.map((s) => s.product).join(', ')}, then the statement on third-country transfers`,
                ),
              )
            : t(
                'Eine Übermittlung in Länder außerhalb der EU/des EWR ist nicht konfiguriert.',
                'No transfer to countries outside the EU/EEA is configured.',
              ),
    },
    {
      p: c.flows.some((f) => f.delivery === 'auto')
        ? todo(
            lang,
            t(
              'Aussage zu automatisierten Entscheidungen (Art. 22) für automatisch versandte E-Mails',
              'statement on automated decisions (Art. 22) for automatically sent mails',
            ),
          )
        : t(
            'Es findet keine ausschließlich automatisierte Entscheidung statt (Art. 22 DSGVO): eine Person prüft und sendet jede E-Mail.',
            'There is no decision based solely on automated processing (Art. 22 GDPR): a person checks and sends every e-mail.',
          ),
    },
    {
      p: t(
        'Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung, Widerspruch und Datenübertragbarkeit sowie auf Beschwerde bei einer Aufsichtsbehörde.',
        'You have the right of access, rectification, erasure, restriction, objection and data portability, and to lodge a complaint with a supervisory authority.',
      ),
    },
  ];
}

/** The AI notices exactly as the mails carry them, per flow and language. */
function aiNoticeBlocks(c: ConfigFacts, lang: Lang): Block[] {
  const t = say(lang);
  const noticeRows = c.flows.flatMap((f) =>
    (['de', 'en'] as const).map((l) => [f.name, f.delivery, l, `„${f.notice[l]}“`]),
  );
  return [
    { h: 2, text: t('KI-Hinweis in den E-Mails (KI-VO Art. 50)', 'AI notice in the mails (AI Act Art. 50)') },
    {
      p: t(
        'Diese Hinweise stehen unter jeder KI-gestützten E-Mail (`{{rep}}` ist der Name des prüfenden Betreuers, lokal eingesetzt):',
        "These notices appear under every AI-assisted mail (`{{rep}}` is the reviewing owner's name, filled in locally):",
      ),
    },
    {
      table: {
        head: [
          t('Ablauf', 'Flow'),
          t('Zustellung', 'Delivery'),
          t('Sprache', 'Language'),
          t('Hinweis', 'Notice'),
        ],
        rows: noticeRows,
      },
    },
    {
      p: t(
        'Ein Entwurf aus der reinen Vorlage (ohne KI, wenn das LLM nicht verfügbar ist oder seine Antwort nicht taugt) trägt keinen KI-Hinweis.',
        'A draft made from the plain template (no AI, when the LLM is unavailable or its answer unusable) carries no AI notice.',
      ),
    },
  ];
}

export function informationDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const title = t(
    'Datenschutzinformation (Art. 13/14 DSGVO) und KI-Hinweis',
    'Privacy information (Art. 13/14 GDPR) and AI notice',
  );
  const blocks: Block[] = [
    ...header(facts, lang, title),
    ...privacyNoticeBlocks(c, lang),
    ...aiNoticeBlocks(c, lang),
  ];
  return { id: 'information', lang, title, blocks };
}
