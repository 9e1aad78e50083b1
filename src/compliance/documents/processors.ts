import { systemsOf, type ComplianceFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import type { ConfiguredSystem } from '../systems.ts';
import { dpaText, header, regionText, say, systemName, todo, type Lang } from './common.ts';

/** Processors and transfers (Art. 28, 44 ff. GDPR): each configured system, its region and its DPA. */

function role(s: ConfiguredSystem, lang: Lang): string {
  const t = say(lang);
  if (s.kind === 'hosting')
    return t(
      'Betrieb von draftbridge und Redis (Betreiber oder Hoster)',
      'runs draftbridge and Redis (the operator or a host)',
    );
  if (s.selfHosted)
    return t(
      'vom Betreiber selbst betrieben: kein Auftragsverarbeiter, sofern kein Dritter hostet',
      'run by the operator: no processor unless a third party hosts it',
    );
  const what = {
    crm: t('CRM (Quelle, Notizen)', 'CRM (source, notes)'),
    mail: t('Postfächer (Entwürfe, Versand)', 'mailboxes (drafts, sending)'),
    llm: t('Textentwurf (nur Platzhalter)', 'drafting (placeholders only)'),
  }[s.kind];
  return `${t('Auftragsverarbeiter', 'processor')}: ${what}`;
}

export function transferFindings(systems: ConfiguredSystem[], lang: Lang): string[] {
  const t = say(lang);
  const out: string[] = [];
  for (const s of systems) {
    if (s.region?.zone === 'third') {
      out.push(
        `**${t('WARNUNG', 'WARNING')}:** ${s.product} ${t('verarbeitet in', 'processes in')} ${s.region.label}: ${t('Übermittlung in ein Drittland; Angemessenheitsbeschluss oder geeignete Garantien (Art. 45/46 DSGVO) nachweisen', 'transfer to a third country; show an adequacy decision or appropriate safeguards (Art. 45/46 GDPR)')}`,
      );
    } else if (!s.region && !(s.selfHosted && s.kind === 'llm')) {
      out.push(
        todo(
          lang,
          t(
            `Verarbeitungsort von ${s.product}: ohne ihn ist eine Drittlandübermittlung nicht ausgeschlossen`,
            `processing location of ${s.product}: without it a third-country transfer cannot be ruled out`,
          ),
        ),
      );
    } else if (s.region?.zone === 'unknown') {
      out.push(
        todo(
          lang,
          t(
            `Region „${s.region.label}“ von ${s.product} ist nicht eingeordnet: EU/EWR prüfen`,
            `region "${s.region.label}" of ${s.product} is not recognised: check EU/EEA`,
          ),
        ),
      );
    }
    if (s.vendor && s.vendor.country !== 'EU' && s.region?.zone === 'eea') {
      out.push(
        t(
          `${s.product}: Anbieter mit Sitz in ${s.vendor.country}; Zugriffe aus dem Drittland (Support, Behörden) im AVV prüfen`,
          `${s.product}: vendor based in ${s.vendor.country}; check remote access from the third country (support, authorities) in the DPA`,
        ),
      );
    }
  }
  return out;
}

export function processorsDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const systems = systemsOf(c);
  const rows = systems.map((s) => [
    `\`${s.id}\``,
    systemName(s, lang),
    role(s, lang),
    regionText(s, lang),
    s.selfHosted && s.kind !== 'hosting' ? '–' : dpaText(s, lang),
  ]);
  const notAllowed = c.llmRoutes.filter((r) => r.regionAllowed === false);
  const findings = transferFindings(systems, lang);
  const thirdCountry = systems.some((s) => s.region?.zone === 'third');
  const open = systems.some(
    (s) => (!s.region && !(s.selfHosted && s.kind === 'llm')) || s.region?.zone === 'unknown',
  );
  const title = t(
    'Auftragsverarbeiter und Übermittlungen (Art. 28, 44 ff. DSGVO)',
    'Processors and transfers (Art. 28, 44 ff. GDPR)',
  );
  const blocks: Block[] = [
    ...header(facts, lang, title),
    { h: 2, text: t('Eingesetzte Systeme', 'Systems in use') },
    {
      table: {
        head: ['id', t('System', 'System'), t('Rolle', 'Role'), t('Region', 'Region'), t('AVV', 'DPA')],
        rows,
      },
    },
    { h: 2, text: t('Drittlandübermittlungen', 'Third-country transfers') },
    {
      p: thirdCountry
        ? t(
            '**Es gibt Übermittlungen in Drittländer** (unten).',
            '**There are transfers to third countries** (below).',
          )
        : open
          ? t(
              'Keine Region außerhalb der EU/des EWR konfiguriert; offene Orte unten ergänzen.',
              'No region outside the EU/EEA is configured; complete the open locations below.',
            )
          : t('Keine: jede Region liegt in der EU/im EWR.', 'None: every region is in the EU/EEA.'),
    },
    ...(findings.length > 0 ? [{ ul: findings }] : []),
    ...notAllowed.map((r) => ({
      note: t(
        `Route \`${r.route}\`: Region nicht in \`llm.allowedRegions\` – der Dienst startet so nicht.`,
        `Route \`${r.route}\`: region not in \`llm.allowedRegions\` – the service refuses to start like this.`,
      ),
    })),
  ];
  return { id: 'processors', lang, title, blocks };
}
