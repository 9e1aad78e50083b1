import type { ComplianceFacts, ConfigFacts, MeasuredFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, say, todo, type Lang } from './common.ts';

/** Technical and organisational measures (Art. 32 GDPR): each with the setting that enforces it. */

type Row = [measure: string, enforcedBy: string, state: string];

/** What only the operator can put in place (German, English). */
const OPERATOR_MEASURES: [string, string][] = [
  [
    'Datensicherung von Redis (verschlüsselt, Aufbewahrung der Sicherungen)',
    'backups of Redis (encrypted, how long backups are kept)',
  ],
  ['Physische Sicherheit und Zutritt zu den Servern', 'physical security of and access to the servers'],
  [
    'Aufbewahrung der Schlüssel (Secret-Store), wer sie kennt',
    'where the keys are kept (secret store), who knows them',
  ],
  [
    'Netzschutz und Zugriffskontrolle für Redis (ACL, Firewall)',
    'network protection and access control for Redis (ACL, firewall)',
  ],
  ['Aufbewahrung der Betriebsprotokolle', 'retention of the operating logs'],
  [
    'Schulung der prüfenden Mitarbeitenden, Meldeweg für Datenpannen (Art. 33)',
    'training of the reviewing staff, breach reporting procedure (Art. 33)',
  ],
];

const warning = (lang: Lang, text: string) => `**${say(lang)('ACHTUNG', 'WARNING')}:** ${text}`;

function lastVerification(m: MeasuredFacts, lang: Lang): string {
  const t = say(lang);
  const v = m.lastAuditVerification;
  if (!v)
    return t(
      'noch nicht geprüft (`draftbridge audit verify`)',
      'not yet verified (`draftbridge audit verify`)',
    );
  return `${v.at}: ${v.outcome}${v.checked !== null ? ` (${v.checked} ${t('Ereignisse', 'events')})` : ''}`;
}

/** Privacy by design, keys and the audit chain. */
function dataRows(c: ConfigFacts, m: MeasuredFacts, lang: Lang): Row[] {
  const t = say(lang);
  const s = c.security;
  const key = (state: 'set' | 'sandbox development key') =>
    state === 'set'
      ? t('gesetzt', 'set')
      : warning(lang, t('Entwicklungsschlüssel der Sandbox', 'sandbox development key'));
  return [
    [
      t(
        'Pseudonymisierung vor dem LLM-Aufruf, Schutzprüfung (fail closed)',
        'Pseudonymisation before the LLM call, leak guard (fails closed)',
      ),
      t('im Code, nicht abschaltbar', 'in code, cannot be switched off'),
      t('in Kraft', 'in force'),
    ],
    [
      t('Datenminimierung: nur die Felder des Ablaufs', "Minimisation: only the flow's fields"),
      '`flows.<flow>.fields`',
      c.flows.map((f) => `${f.name}: ${f.fields.length}`).join(', '),
    ],
    [
      t('Verschlüsselung des Tresors (AES-256-GCM)', 'Vault encryption (AES-256-GCM)'),
      '`DRAFTBRIDGE_VAULT_KEY`',
      key(s.vaultKey),
    ],
    [
      t('Schlüsselwechsel', 'Key rotation'),
      '`DRAFTBRIDGE_VAULT_PREVIOUS_KEYS`',
      t(
        `${s.previousVaultKeys} frühere Schlüssel entschlüsseln noch`,
        `${s.previousVaultKeys} former key(s) still decrypt`,
      ),
    ],
    [
      t('Prüfpfad ohne Personendaten, HMAC-Kette', 'Audit trail without personal data, HMAC chain'),
      '`DRAFTBRIDGE_AUDIT_KEY`',
      key(s.auditKey),
    ],
    [
      t('Letzte Prüfung der Kette', 'Last verification of the chain'),
      '`draftbridge audit verify`',
      lastVerification(m, lang),
    ],
  ];
}

/** Who may sign in, and encryption on every connection. */
function accessRows(c: ConfigFacts, lang: Lang): Row[] {
  const t = say(lang);
  const s = c.security;
  const vendors = [c.crm, c.mail, ...c.llmRoutes];
  const plain = vendors.filter((x) => x.endpointHttps === false).map((x) => `\`${x.endpointSetting}\``);
  return [
    [
      t('Rollen viewer < operator, dpo getrennt', 'Roles viewer < operator, dpo apart'),
      s.credentials.map((x) => `\`${x}\``).join(', ') || '–',
      s.credentials.length > 0
        ? t('in Kraft', 'in force')
        : warning(
            lang,
            t(
              'keine Zugangsdaten: /ops und /privacy antworten 401',
              'no credentials: /ops and /privacy answer 401',
            ),
          ),
    ],
    [
      t('Transportverschlüsselung (öffentliche Adresse)', 'Transport security (public URL)'),
      '`DRAFTBRIDGE_PUBLIC_URL`',
      s.publicUrlHttps ? 'HTTPS' : warning(lang, t('keine HTTPS-Adresse', 'not an HTTPS URL')),
    ],
    [
      t('Transportverschlüsselung zu Redis', 'Transport security to Redis'),
      '`REDIS_URL`',
      s.redisTls
        ? 'TLS (`rediss://`)'
        : warning(
            lang,
            t(
              'ohne TLS (`redis://`): nur in einem geschützten Netz',
              'without TLS (`redis://`): private network only',
            ),
          ),
    ],
    [
      t('Transportverschlüsselung zu den Anbietern', 'Transport security to vendors'),
      vendors.map((x) => `\`${x.endpointSetting}\``).join(', '),
      plain.length === 0 ? 'HTTPS' : warning(lang, `${t('ohne HTTPS', 'not HTTPS')}: ${plain.join(', ')}`),
    ],
  ];
}

/** Sandbox, regions, AI notice and the sweeper, as the policy and settings set them. */
function operationRows(c: ConfigFacts, lang: Lang): Row[] {
  const t = say(lang);
  const sweep = c.privacy.retentionSweepEveryMs;
  const regionState = (r: ConfigFacts['llmRoutes'][number]) => {
    if (r.regionAllowed === null)
      return r.selfHosted
        ? t('selbst betrieben', 'self-hosted')
        : warning(lang, t('keine Region gesetzt', 'no region set'));
    return r.regionAllowed
      ? `${r.region?.label ?? ''}: ${t('erlaubt', 'allowed')}`
      : warning(lang, t('nicht erlaubt', 'not allowed'));
  };
  return [
    [
      t('Sandbox aus', 'Sandbox off'),
      '`DRAFTBRIDGE_SANDBOX`',
      c.sandbox ? warning(lang, t('an: nicht für den Betrieb', 'on: not for production')) : t('aus', 'off'),
    ],
    [t('Erlaubte LLM-Regionen', 'Allowed LLM regions'), '`llm.allowedRegions`', c.allowedRegions.join(', ')],
    ...c.llmRoutes.map((r): Row => [
      `${t('Region der Route', 'Region of route')} \`${r.route}\``,
      r.regionSetting ? `\`${r.regionSetting}\`` : '–',
      regionState(r),
    ]),
    [
      t('KI-Hinweis in jeder E-Mail', 'AI notice in every mail'),
      '`mail.transparencyNotice`',
      t('in Kraft', 'in force'),
    ],
    [
      t('Löschlauf', 'Retention sweeper'),
      '`privacy.retentionSweepEvery`',
      sweep === 0
        ? warning(lang, t('abgeschaltet', 'off'))
        : t(`im Abstand von ${duration(sweep, lang)}`, `at an interval of ${duration(sweep, lang)}`),
    ],
  ];
}

export function tomsDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const title = t(
    'Technische und organisatorische Maßnahmen (Art. 32 DSGVO)',
    'Technical and organisational measures (Art. 32 GDPR)',
  );
  const rows = [...dataRows(c, facts.measured, lang), ...accessRows(c, lang), ...operationRows(c, lang)];
  const blocks: Block[] = [
    ...header(facts, lang, title),
    { h: 2, text: t('Maßnahmen in Kraft', 'Measures in force') },
    {
      table: {
        head: [t('Maßnahme', 'Measure'), t('durchgesetzt durch', 'enforced by'), t('Stand', 'State')],
        rows,
      },
    },
    { h: 2, text: t('Löschfristen je Klasse (`retention`)', 'Retention per class (`retention`)') },
    {
      table: {
        head: [t('Klasse', 'Class'), t('Frist', 'Period')],
        rows: Object.entries(c.retention).map(([k, v]) => [`\`${k}\``, duration(v, lang)]),
      },
    },
    { h: 2, text: t('Vom Betreiber zu ergänzen', 'To be added by the operator') },
    { ul: OPERATOR_MEASURES.map(([de, en]) => todo(lang, t(de, en))) },
  ];
  return { id: 'toms', lang, title, blocks };
}
