import type { ComplianceFacts, ConfigFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, routeLine, say, todo, type Lang } from './common.ts';

/**
 * DPIA draft (Art. 35 GDPR). The description and the measures come from the configuration; the risk
 * ratings are proposals computed by the rule printed beside each, for the DPO to confirm or change.
 */

type Level = 'low' | 'medium' | 'high';
const LEVEL = { low: ['gering', 'low'], medium: ['mittel', 'medium'], high: ['hoch', 'high'] } as const;
const level = (l: Level, lang: Lang) => LEVEL[l][lang === 'de' ? 0 : 1];

interface Risk {
  risk: [string, string];
  likelihood: Level;
  severity: Level;
  measures: [string, string];
  residual: Level;
  rule: [string, string];
}

/** One text per language, computed once per language. */
const both = (text: (lang: Lang) => string): [string, string] => [text('de'), text('en')];
const names = (list: string[], none: string) => list.join(', ') || none;

function llmDisclosure(c: ConfigFacts): Risk {
  const llmOutside = c.llmRoutes.filter((r) => !r.selfHosted && r.region?.zone !== 'eea');
  const regions = c.allowedRegions.join(', ');
  return {
    risk: ['Personenbezogene Daten erreichen den LLM-Anbieter', 'Personal data reaches the LLM provider'],
    likelihood: 'high',
    severity: 'high',
    measures: [
      `Pseudonymisierung vor jedem Aufruf (Platzhalter \`[[TYPE_N]]\`); Schutzprüfung (leak guard) jeder ausgehenden Anfrage, die bei einem Fund nicht sendet; erlaubte Regionen: ${regions}`,
      `pseudonymisation before every call (placeholders \`[[TYPE_N]]\`); leak guard on every outgoing request, failing closed on any finding; allowed regions: ${regions}`,
    ],
    residual: llmOutside.length > 0 ? 'medium' : 'low',
    rule: [
      'mittel, wenn eine LLM-Route außerhalb der EU/des EWR liegt oder ihr Ort offen ist',
      'medium when an LLM route is outside the EU/EEA or its location is open',
    ],
  };
}

function specialCategories(c: ConfigFacts): Risk {
  const localRoute = c.llmRoutes.find((r) => r.route === 'local');
  const actions = Object.values(c.sensitive);
  const weak =
    actions.includes('redact') ||
    (actions.includes('local') && localRoute !== undefined && !localRoute.selfHosted);
  const handling = Object.entries(c.sensitive).map(([k, v]) => `${k}=${v}`);
  return {
    risk: [
      'Besondere Kategorien (Art. 9) aus CRM-Notizen werden verarbeitet',
      'Special categories (Art. 9) from CRM notes are processed',
    ],
    likelihood: 'medium',
    severity: 'high',
    measures: [
      `Erkennung in Freitext; Behandlung laut Richtlinie: ${names(handling, 'keine')}`,
      `detection in free text; handling per policy: ${names(handling, 'none')}`,
    ],
    residual: weak || actions.length === 0 ? 'medium' : 'low',
    rule: [
      'mittel bei `redact`, bei `local` ohne selbst betriebenes Modell oder ohne Festlegung',
      'medium with `redact`, with `local` on a model not self-hosted, or with no handling set',
    ],
  };
}

function wrongContent(c: ConfigFacts): Risk {
  const auto = c.flows.filter((f) => f.delivery === 'auto').map((f) => f.name);
  const reviewed = c.flows.filter((f) => f.delivery === 'review').map((f) => f.name);
  const which = auto.length ? ` (${auto.join(', ')})` : '';
  return {
    risk: [
      'Falscher oder unpassender Inhalt erreicht den Kontakt',
      'Wrong or inappropriate content reaches the contact',
    ],
    likelihood: 'medium',
    severity: 'medium',
    measures: [
      `Prüfung vor dem Versand (${names(reviewed, 'kein Ablauf')}); nur ausgegebene Platzhalter werden ersetzt; Links nur aus \`mail.allowedLinks\`; höchstens ${c.mailRules.maxBodyChars} Zeichen`,
      `review before sending (${names(reviewed, 'no flow')}); only issued placeholders are re-identified; links only from \`mail.allowedLinks\`; at most ${c.mailRules.maxBodyChars} characters`,
    ],
    residual: auto.length > 0 ? 'medium' : 'low',
    rule: [
      `mittel, wenn ein Ablauf automatisch sendet${which}`,
      `medium when a flow sends automatically${which}`,
    ],
  };
}

function keptTooLong(c: ConfigFacts): Risk {
  const every = c.privacy.retentionSweepEveryMs;
  const classes = (lang: Lang) =>
    Object.entries(c.retention)
      .map(([k, v]) => `${k} ${duration(v, lang)}`)
      .join(', ');
  return {
    risk: ['Daten werden länger als nötig gespeichert', 'Data is kept longer than necessary'],
    likelihood: 'medium',
    severity: 'medium',
    measures: [
      `Löschklassen (${classes('de')}); Löschlauf ${every === 0 ? 'abgeschaltet' : `im Abstand von ${duration(every, 'de')}`}`,
      `retention classes (${classes('en')}); sweeper ${every === 0 ? 'off' : `at an interval of ${duration(every, 'en')}`}`,
    ],
    residual: every === 0 ? 'medium' : 'low',
    rule: [
      'mittel, wenn der Löschlauf abgeschaltet ist (`privacy.retentionSweepEvery: 0s`)',
      'medium when the sweeper is off (`privacy.retentionSweepEvery: 0s`)',
    ],
  };
}

function unauthorisedAccess(c: ConfigFacts): Risk {
  const s = c.security;
  const weak =
    s.vaultKey !== 'set' || s.auditKey !== 'set' || !s.publicUrlHttps || s.credentials.length === 0;
  return {
    risk: ['Unbefugter Zugriff auf gespeicherte Daten', 'Unauthorised access to stored data'],
    likelihood: 'medium',
    severity: 'high',
    measures: both(
      (lang) =>
        `${say(lang)('Tresor AES-256-GCM, Prüfpfad ohne personenbezogene Daten mit HMAC-Kette, Rollen viewer/operator/dpo, HTTPS', 'vault AES-256-GCM, audit trail without personal data in an HMAC chain, roles viewer/operator/dpo, HTTPS')} (${securityState(c, lang)})`,
    ),
    residual: weak ? 'high' : 'low',
    rule: [
      'hoch ohne eigene Schlüssel, ohne HTTPS-Adresse oder ohne Zugangsdaten für die Rollen',
      'high without own keys, without an HTTPS public URL or without role credentials',
    ],
  };
}

function thirdCountry(c: ConfigFacts): Risk {
  const systems = [c.crm, c.mail, ...c.llmRoutes];
  const outside = systems.filter((s) => s.region?.zone !== 'eea' && !(s.selfHosted && s.kind === 'llm'));
  const routes = c.llmRoutes.map((r) => `\`${r.route}\``).join(', ');
  const regions = (open: string) => systems.map((s) => `${s.id} ${s.region?.label ?? open}`).join(', ');
  return {
    risk: ['Übermittlung in ein Drittland', 'Transfer to a third country'],
    likelihood: outside.length > 0 ? 'high' : 'low',
    severity: 'high',
    measures: [`Regionen: ${regions('offen')}`, `regions: ${regions('open')}`],
    residual: outside.some((s) => s.region?.zone === 'third')
      ? 'high'
      : outside.length > 0
        ? 'medium'
        : 'low',
    rule: [
      `hoch bei einer Region außerhalb der EU/des EWR, mittel bei offenem Ort (LLM-Routen: ${routes})`,
      `high with a region outside the EU/EEA, medium with an open location (LLM routes: ${routes})`,
    ],
  };
}

function aiNotRecognised(): Risk {
  return {
    risk: ['Kontakt erkennt den KI-Einsatz nicht', 'The contact does not recognise the use of AI'],
    likelihood: 'medium',
    severity: 'low',
    measures: [
      'KI-Hinweis unter jeder E-Mail (Richtlinie `mail.transparencyNotice`, je Zustellart)',
      'AI notice under every mail (policy `mail.transparencyNotice`, per delivery mode)',
    ],
    residual: 'low',
    rule: ['gering: der Hinweis wird immer angefügt', 'low: the notice is always added'],
  };
}

/** The risks the DPIA lists, in order, each rated by its printed rule from the configuration. */
export function risks(c: ConfigFacts): Risk[] {
  return [
    llmDisclosure,
    specialCategories,
    wrongContent,
    keptTooLong,
    unauthorisedAccess,
    thirdCountry,
    aiNotRecognised,
  ].map((risk) => risk(c));
}

/** The state behind the access-control rating, as the TOMs list it. */
function securityState(c: ConfigFacts, lang: Lang): string {
  const t = say(lang);
  const s = c.security;
  return [
    `${t('Tresorschlüssel', 'vault key')}: ${s.vaultKey === 'set' ? t('gesetzt', 'set') : t('Entwicklungsschlüssel', 'development key')}`,
    `${t('Prüfpfadschlüssel', 'audit key')}: ${s.auditKey === 'set' ? t('gesetzt', 'set') : t('Entwicklungsschlüssel', 'development key')}`,
    `${t('öffentliche Adresse', 'public URL')}: ${s.publicUrlHttps ? 'HTTPS' : t('kein HTTPS', 'not HTTPS')}`,
    `${t('Rollen-Zugangsdaten', 'role credentials')}: ${s.credentials.length || t('keine', 'none')}`,
  ].join(', ');
}

const RANK: Record<Level, number> = { low: 0, medium: 1, high: 2 };

/** 1. What happens, step by step, with the systems of this deployment. */
function descriptionBlocks(c: ConfigFacts, lang: Lang): Block[] {
  const t = say(lang);
  return [
    { h: 2, text: t('1. Beschreibung der Verarbeitung', '1. Description of the processing') },
    {
      ul: [
        t(
          `Ein Ereignis in ${c.crm.product} (Auslöser der Richtlinie) startet einen Ablauf: ${c.flows.map((f) => f.name).join(', ')}.`,
          `An event in ${c.crm.product} (a policy trigger) starts a flow: ${c.flows.map((f) => f.name).join(', ')}.`,
        ),
        t(
          'Nur die Felder des Ablaufs werden gelesen; Personenwerte werden durch Platzhalter ersetzt und verschlüsselt im Tresor gehalten.',
          "Only the flow's fields are read; personal values are replaced by placeholders and held encrypted in the vault.",
        ),
        ...c.llmRoutes.map((r) => `${routeLine(r, lang)} (${t('für', 'for')}: ${r.usedFor.join('; ')})`),
        t(
          `Der Text wird lokal re-identifiziert und in ${c.mail.product} abgelegt oder versandt; Status und Notiz gehen an ${c.crm.product}.`,
          `The text is re-identified locally and placed in or sent through ${c.mail.product}; status and a note go to ${c.crm.product}.`,
        ),
      ],
    },
  ];
}

/** 2. Fields per flow, legal basis, the Art. 22 position, what the LLM receives. */
function proportionalityBlocks(c: ConfigFacts, lang: Lang): Block[] {
  const t = say(lang);
  const flowRows = c.flows.map((f) => [
    f.name,
    f.fields.map((x) => x.logical).join(', '),
    f.legalBasis,
    f.delivery === 'review'
      ? t(
          'Prüfung durch eine Person vor dem Versand: keine ausschließlich automatisierte Entscheidung (Art. 22 nicht berührt)',
          'a person reviews before sending: no decision based solely on automated processing (Art. 22 not engaged)',
        )
      : todo(
          lang,
          t(
            'automatischer Versand: Einordnung nach Art. 22 durch den DSB',
            'sent automatically: Art. 22 position to be assessed by the DPO',
          ),
        ),
  ]);
  return [
    { h: 2, text: t('2. Notwendigkeit und Verhältnismäßigkeit', '2. Necessity and proportionality') },
    {
      table: {
        head: [
          t('Ablauf', 'Flow'),
          t('gelesene Felder', 'fields read'),
          t('Rechtsgrundlage', 'legal basis'),
          t('Zustellung und Art. 22', 'delivery and Art. 22'),
        ],
        rows: flowRows,
      },
    },
    {
      p: t(
        'Das LLM erhält nur Platzhalter (`[[PERSON_1]]`, `[[EMAIL_1]]` …) und nicht personenbezogene Angaben (Terminvorschläge); die Schutzprüfung verweigert jede Anfrage mit einem bekannten Personenwert.',
        'The LLM receives placeholders only (`[[PERSON_1]]`, `[[EMAIL_1]]` …) and non-personal facts (offered slots); the leak guard refuses any request carrying a known personal value.',
      ),
    },
  ];
}

/** 3. and 4. The risks with their proposed ratings, and the highest residual risk. */
function riskBlocks(c: ConfigFacts, lang: Lang): Block[] {
  const t = say(lang);
  const i = lang === 'de' ? 0 : 1;
  const list = risks(c);
  const overall = list.reduce<Level>((m, r) => (RANK[r.residual] > RANK[m] ? r.residual : m), 'low');
  return [
    { h: 2, text: t('3. Risiken und Maßnahmen', '3. Risks and measures') },
    {
      table: {
        head: [
          t('Risiko', 'Risk'),
          t('Eintritt', 'Likelihood'),
          t('Schwere', 'Severity'),
          t('Maßnahmen (in Kraft)', 'Measures (in force)'),
          t('Restrisiko (Vorschlag)', 'Residual (proposed)'),
          t('Regel', 'Rule'),
        ],
        rows: list.map((r) => [
          r.risk[i]!,
          level(r.likelihood, lang),
          level(r.severity, lang),
          r.measures[i]!,
          level(r.residual, lang),
          r.rule[i]!,
        ]),
      },
    },
    { h: 2, text: t('4. Restrisiko', '4. Residual risk') },
    {
      p: t(
        `Höchstes vorgeschlagenes Restrisiko: **${level(overall, lang)}**. ${overall === 'high' ? 'Bleibt es nach Prüfung hoch, ist die Aufsichtsbehörde vorher zu konsultieren (Art. 36 DSGVO).' : ''}`,
        `Highest proposed residual risk: **${level(overall, lang)}**. ${overall === 'high' ? 'If it stays high after review, consult the supervisory authority first (Art. 36 GDPR).' : ''}`,
      ).trim(),
    },
  ];
}

export function dpiaDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const title = t(
    'Datenschutz-Folgenabschätzung (Art. 35 DSGVO) – ENTWURF',
    'Data-protection impact assessment (Art. 35 GDPR) – DRAFT',
  );
  const blocks: Block[] = [
    ...header(facts, lang, title, [
      {
        note: t(
          '**ENTWURF** aus der laufenden Konfiguration erzeugt; die Bewertung trifft der/die Datenschutzbeauftragte.',
          "**DRAFT** generated from the running configuration; the assessment is the DPO's to make.",
        ),
      },
    ]),
    ...descriptionBlocks(c, lang),
    ...proportionalityBlocks(c, lang),
    ...riskBlocks(c, lang),
    { h: 2, text: t('5. Stellungnahme und Freigabe', '5. Opinion and sign-off') },
    {
      ul: [
        todo(lang, t('Stellungnahme des/der DSB (Art. 35(2))', "the DPO's opinion (Art. 35(2))")),
        todo(lang, t('Datum und Freigabe durch den Verantwortlichen', 'date and sign-off by the controller')),
        todo(
          lang,
          t(
            'Standpunkt der Betroffenen, soweit eingeholt (Art. 35(9))',
            'views of data subjects where sought (Art. 35(9))',
          ),
        ),
      ],
    },
  ];
  return { id: 'dpia', lang, title, blocks };
}
