import type { ComplianceFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, say, todo, type Lang } from './common.ts';

/** Technical and organisational measures (Art. 32 GDPR): each with the setting that enforces it. */

export function tomsDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const m = facts.measured;
  const s = c.security;
  const ok = t('in Kraft', 'in force');
  const warn = (text: string) => `**${t('ACHTUNG', 'WARNING')}:** ${text}`;
  const verified = m.lastAuditVerification
    ? `${m.lastAuditVerification.at}: ${m.lastAuditVerification.outcome}${m.lastAuditVerification.checked !== null ? ` (${m.lastAuditVerification.checked} ${t('Ereignisse', 'events')})` : ''}`
    : t('noch nicht geprüft (`draftbridge audit verify`)', 'not yet verified (`draftbridge audit verify`)');
  const endpoints = [c.crm, c.mail, ...c.llmRoutes].filter((x) => x.endpointHttps === false);
  const rows: string[][] = [
    [
      t(
        'Pseudonymisierung vor dem LLM-Aufruf, Schutzprüfung (fail closed)',
        'Pseudonymisation before the LLM call, leak guard (fails closed)',
      ),
      t('im Code, nicht abschaltbar', 'in code, cannot be switched off'),
      ok,
    ],
    [
      t('Datenminimierung: nur die Felder des Ablaufs', "Minimisation: only the flow's fields"),
      '`flows.<flow>.fields`',
      c.flows.map((f) => `${f.name}: ${f.fields.length}`).join(', '),
    ],
    [
      t('Verschlüsselung des Tresors (AES-256-GCM)', 'Vault encryption (AES-256-GCM)'),
      '`DRAFTBRIDGE_VAULT_KEY`',
      s.vaultKey === 'set'
        ? t('gesetzt', 'set')
        : warn(t('Entwicklungsschlüssel der Sandbox', 'sandbox development key')),
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
      s.auditKey === 'set'
        ? t('gesetzt', 'set')
        : warn(t('Entwicklungsschlüssel der Sandbox', 'sandbox development key')),
    ],
    [t('Letzte Prüfung der Kette', 'Last verification of the chain'), '`draftbridge audit verify`', verified],
    [
      t('Rollen viewer < operator, dpo getrennt', 'Roles viewer < operator, dpo apart'),
      s.credentials.map((x) => `\`${x}\``).join(', ') || '–',
      s.credentials.length > 0
        ? ok
        : warn(
            t(
              'keine Zugangsdaten: /ops und /privacy antworten 401',
              'no credentials: /ops and /privacy answer 401',
            ),
          ),
    ],
    [
      t('Transportverschlüsselung (öffentliche Adresse)', 'Transport security (public URL)'),
      '`DRAFTBRIDGE_PUBLIC_URL`',
      s.publicUrlHttps ? 'HTTPS' : warn(t('keine HTTPS-Adresse', 'not an HTTPS URL')),
    ],
    [
      t('Transportverschlüsselung zu Redis', 'Transport security to Redis'),
      '`REDIS_URL`',
      s.redisTls
        ? 'TLS (`rediss://`)'
        : warn(
            t(
              'ohne TLS (`redis://`): nur in einem geschützten Netz',
              'without TLS (`redis://`): private network only',
            ),
          ),
    ],
    [
      t('Transportverschlüsselung zu den Anbietern', 'Transport security to vendors'),
      [c.crm, c.mail, ...c.llmRoutes].map((x) => `\`${x.endpointSetting}\``).join(', '),
      endpoints.length === 0
        ? 'HTTPS'
        : warn(
            `${t('ohne HTTPS', 'not HTTPS')}: ${endpoints.map((x) => `\`${x.endpointSetting}\``).join(', ')}`,
          ),
    ],
    [
      t('Sandbox aus', 'Sandbox off'),
      '`DRAFTBRIDGE_SANDBOX`',
      c.sandbox ? warn(t('an: nicht für den Betrieb', 'on: not for production')) : t('aus', 'off'),
    ],
    [t('Erlaubte LLM-Regionen', 'Allowed LLM regions'), '`llm.allowedRegions`', c.allowedRegions.join(', ')],
    ...c.llmRoutes.map((r) => [
      `${t('Region der Route', 'Region of route')} \`${r.route}\``,
      r.regionSetting ? `\`${r.regionSetting}\`` : '–',
      r.regionAllowed === null
        ? r.selfHosted
          ? t('selbst betrieben', 'self-hosted')
          : warn(t('keine Region gesetzt', 'no region set'))
        : r.regionAllowed
          ? t(`${r.region?.label ?? ''}: erlaubt`, `${r.region?.label ?? ''}: allowed`)
          : warn(t('nicht erlaubt', 'not allowed')),
    ]),
    [t('KI-Hinweis in jeder E-Mail', 'AI notice in every mail'), '`mail.transparencyNotice`', ok],
    [
      t('Löschlauf', 'Retention sweeper'),
      '`privacy.retentionSweepEvery`',
      c.privacy.retentionSweepEveryMs === 0
        ? warn(t('abgeschaltet', 'off'))
        : t(
            `im Abstand von ${duration(c.privacy.retentionSweepEveryMs, lang)}`,
            `at an interval of ${duration(c.privacy.retentionSweepEveryMs, lang)}`,
          ),
    ],
  ];
  const retention = Object.entries(c.retention).map(([k, v]) => [`\`${k}\``, duration(v, lang)]);
  const blocks: Block[] = [
    ...header(
      facts,
      lang,
      t(
        'Technische und organisatorische Maßnahmen (Art. 32 DSGVO)',
        'Technical and organisational measures (Art. 32 GDPR)',
      ),
    ),
    { h: 2, text: t('Maßnahmen in Kraft', 'Measures in force') },
    {
      table: {
        head: [t('Maßnahme', 'Measure'), t('durchgesetzt durch', 'enforced by'), t('Stand', 'State')],
        rows,
      },
    },
    { h: 2, text: t('Löschfristen je Klasse (`retention`)', 'Retention per class (`retention`)') },
    { table: { head: [t('Klasse', 'Class'), t('Frist', 'Period')], rows: retention } },
    { h: 2, text: t('Vom Betreiber zu ergänzen', 'To be added by the operator') },
    {
      ul: [
        todo(
          lang,
          t(
            'Datensicherung von Redis (verschlüsselt, Aufbewahrung der Sicherungen)',
            'backups of Redis (encrypted, how long backups are kept)',
          ),
        ),
        todo(
          lang,
          t(
            'Physische Sicherheit und Zutritt zu den Servern',
            'physical security of and access to the servers',
          ),
        ),
        todo(
          lang,
          t(
            'Aufbewahrung der Schlüssel (Secret-Store), wer sie kennt',
            'where the keys are kept (secret store), who knows them',
          ),
        ),
        todo(
          lang,
          t(
            'Netzschutz und Zugriffskontrolle für Redis (ACL, Firewall)',
            'network protection and access control for Redis (ACL, firewall)',
          ),
        ),
        todo(lang, t('Aufbewahrung der Betriebsprotokolle', 'retention of the operating logs')),
        todo(
          lang,
          t(
            'Schulung der prüfenden Mitarbeitenden, Meldeweg für Datenpannen (Art. 33)',
            'training of the reviewing staff, breach reporting procedure (Art. 33)',
          ),
        ),
      ],
    },
  ];
  return { id: 'toms', lang, title: blocks[0] && 'h' in blocks[0] ? blocks[0].text : '', blocks };
}
