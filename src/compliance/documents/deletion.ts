import type { ComplianceFacts, ConfigFacts } from '../facts.ts';
import type { Block, ComplianceDocument } from '../render.ts';
import { duration, header, say, todo, type Lang } from './common.ts';

/** Deletion concept (Löschkonzept): every store, its retention, how it is deleted and the evidence. */

/** Where each mailbox system's watch keeps its message, conversation and subscription links. */
const WATCH_KEYS: Record<string, string> = { graph: 'mailwatch', gmail: 'gmailwatch' };

/** `30 days (\`request\`)`: a retention class as the documents print it. */
function retentionOf(c: ConfigFacts, lang: Lang) {
  return (cls: string) => `${duration(c.retention[cls], lang)} (\`${cls}\`)`;
}

function sweepText(c: ConfigFacts, lang: Lang): string {
  const t = say(lang);
  const every = c.privacy.retentionSweepEveryMs;
  return every === 0
    ? t(
        'Löschlauf abgeschaltet: nur `draftbridge retention run`',
        'sweeper off: only `draftbridge retention run`',
      )
    : t(
        `Löschlauf im Abstand von ${duration(every, lang)}`,
        `sweeper at an interval of ${duration(every, lang)}`,
      );
}

function erasureText(lang: Lang): string {
  return say(lang)(
    'Löschersuchen (`draftbridge privacy erase`, `POST /privacy/subjects/<id>/erasure`)',
    'erasure request (`draftbridge privacy erase`, `POST /privacy/subjects/<id>/erasure`)',
  );
}

/** The stores holding personal values: request records, the vault, kept draft copies. */
function personalStoreRows(c: ConfigFacts, lang: Lang): string[][] {
  const t = say(lang);
  const r = retentionOf(c, lang);
  const erasure = erasureText(lang);
  const flowClasses = [...new Set(c.flows.map((f) => f.retentionClass))];
  return [
    [
      t('Anfragedatensätze und Betroffenen-Index', 'Request records and subject index'),
      '`<prefix>:request:<id>`, `<prefix>:subject:<ref>`',
      r('request'),
      `TTL; ${erasure}`,
    ],
    [
      t('Tresor (verschlüsselte Personenwerte)', 'Vault (encrypted personal values)'),
      '`<prefix>:vault:<id>`',
      r('vault'),
      t(
        `TTL; gelöscht, sobald die Anfrage endet; ${erasure}`,
        `TTL; deleted when the request ends; ${erasure}`,
      ),
    ],
    [
      t('Aufbewahrte Entwurfskopie (Änderungsmessung)', 'Kept draft copy (edit tracking)'),
      '`<prefix>:vault:<id>.kept`',
      flowClasses.map(r).join(', '),
      t(
        `TTL; gelöscht, sobald die gesendete Fassung eintrifft oder der Entwurf gelöscht wird; ${erasure}`,
        `TTL; deleted when the sent version arrives or the draft is deleted; ${erasure}`,
      ),
    ],
  ];
}

/** Jobs, the audit trail and the bookkeeping beside them. */
function bookkeepingRows(c: ConfigFacts, lang: Lang): string[][] {
  const t = say(lang);
  const r = retentionOf(c, lang);
  const erasure = erasureText(lang);
  const sweep = sweepText(c, lang);
  return [
    [
      t('Webhook-Duplikatschutz (Eingangsaufträge)', 'Webhook dedupe (intake jobs)'),
      '`<prefix>:intake:*`',
      r('webhookDedupe'),
      t(`Alter der erledigten Aufträge; ${sweep}`, `age of finished jobs; ${sweep}`),
    ],
    [
      t('Erledigte Aufträge', 'Finished jobs'),
      '`<prefix>:<queue>:*`',
      r('jobsCompleted'),
      `${t('Alter', 'age')}; ${sweep}`,
    ],
    [
      t('Fehlgeschlagene Aufträge', 'Failed jobs'),
      '`<prefix>:<queue>:*`',
      r('jobsFailed'),
      `${t('Alter', 'age')}; ${sweep}`,
    ],
    [
      t('Prüfpfad (ohne Personendaten)', 'Audit trail (no personal data)'),
      '`<prefix>:audit`',
      r('audit'),
      t(
        `${sweep}; bei Löschersuchen wird der Schlüssel des Betroffenen vernichtet (Crypto-Shredding)`,
        `${sweep}; an erasure destroys the subject's key (crypto-shredding)`,
      ),
    ],
    [
      t('Schlüssel je Betroffenem im Prüfpfad', 'Per-subject keys of the audit trail'),
      '`<prefix>:audit:subject-keys`',
      t('ohne Frist (nur Schlüssel, keine Personenwerte)', 'no period (keys only, no personal values)'),
      t('Löschersuchen vernichtet den Schlüssel', 'an erasure request destroys the key'),
    ],
    [
      t(`Postfach-Verknüpfungen (${c.mail.product})`, `Mailbox links (${c.mail.product})`),
      `\`<prefix>:${WATCH_KEYS[c.mail.id] ?? 'mailwatch'}:*\``,
      `${r('request')}; ${t('Abonnements: ihre Laufzeit', 'subscriptions: their lifetime')}`,
      t(`TTL; ${erasure}`, `TTL; ${erasure}`),
    ],
    [
      t(
        'Übersicht der Prüfseite (/ops): Anfrage-IDs, Zählwerte',
        'Review page ledger (/ops): request ids, counts',
      ),
      '`<prefix>:ops:*`',
      t(
        'Tageszähler 40 Tage; Einträge, bis die Anfrage endet',
        'daily counters 40 days; entries until the request ends',
      ),
      t('TTL; Einträge ohne Anfrage werden entfernt', 'TTL; entries without a request are dropped'),
    ],
    [
      t('Widerspruchsliste', 'Suppression list (objections)'),
      '`<prefix>:suppressed`',
      t('bis zum Widerruf des Widerspruchs', 'until the objection is withdrawn'),
      t('manuell', 'manually'),
    ],
  ];
}

/** What lives outside draftbridge: mailbox, CRM, LLM provider. */
function elsewhereRows(c: ConfigFacts, lang: Lang): string[][] {
  const t = say(lang);
  return [
    [
      t(`Entwürfe und gesendete E-Mails in ${c.mail.product}`, `Drafts and sent mails in ${c.mail.product}`),
      t('Postfach des Betreuers', "the owner's mailbox"),
      todo(lang, t('Aufbewahrung im Postfachsystem', 'mailbox retention')),
      t(
        'Ablehnen = Entwurf löschen; sonst Aufbewahrungsregeln des Postfachsystems',
        "rejecting = deleting the draft; otherwise the mailbox system's retention rules",
      ),
    ],
    [
      t(
        `Notizen, Status- und Opt-out-Felder in ${c.crm.product}`,
        `Notes, status and opt-out fields in ${c.crm.product}`,
      ),
      'CRM',
      todo(lang, t('Aufbewahrung im CRM', 'CRM retention')),
      t(
        'Löschung im CRM (draftbridge löscht dort nichts)',
        'deletion in the CRM (draftbridge deletes nothing there)',
      ),
    ],
    ...c.llmRoutes.map((x) => [
      t(`Pseudonymisierte Anfragen an ${x.product}`, `Pseudonymised requests to ${x.product}`),
      `LLM ${t('Route', 'route')} \`${x.route}\``,
      x.selfHosted
        ? todo(lang, t('Protokolle des eigenen Modellservers', "the logs of the operator's model server"))
        : todo(
            lang,
            t(
              'Speicherdauer beim Anbieter (z. B. Missbrauchsüberwachung)',
              "the provider's storage (e.g. abuse monitoring)",
            ),
          ),
      x.selfHosted ? t('beim Betreiber', 'by the operator') : t('beim Anbieter', 'at the provider'),
    ]),
  ];
}

export function deletionDocument(facts: ComplianceFacts, lang: Lang): ComplianceDocument {
  const t = say(lang);
  const c = facts.config;
  const m = facts.measured;
  const rows = [...personalStoreRows(c, lang), ...bookkeepingRows(c, lang), ...elsewhereRows(c, lang)];
  const last = m.lastRetentionRun
    ? `${m.lastRetentionRun.at}: ${m.lastRetentionRun.outcome}`
    : t('noch kein Lauf aufgezeichnet', 'no run recorded yet');
  const blocks: Block[] = [
    ...header(facts, lang, t('Löschkonzept', 'Deletion concept')),
    { h: 2, text: t('Speicherorte, Fristen und Löschung', 'Stores, retention and deletion') },
    {
      table: {
        head: [t('Daten', 'Data'), t('Ort', 'Where'), t('Frist', 'Retention'), t('Löschung', 'How deleted')],
        rows,
      },
    },
    {
      p: t(
        `\`<prefix>\` ist \`DRAFTBRIDGE_QUEUE_PREFIX\`. Löschung des CRM-Datensatzes löscht auch hier: ${c.privacy.eraseOnContactDeletion ? 'ja' : 'nur bei DSGVO-Löschung (`privacy.eraseOnContactDeletion: false`)'}.`,
        `\`<prefix>\` is \`DRAFTBRIDGE_QUEUE_PREFIX\`. Deleting the CRM record erases here too: ${c.privacy.eraseOnContactDeletion ? 'yes' : 'only on a GDPR deletion (`privacy.eraseOnContactDeletion: false`)'}.`,
      ),
    },
    { h: 2, text: t('Nachweise', 'Evidence') },
    {
      ul: [
        `${t('Letzter Löschlauf', 'Last sweeper run')}: ${last}; ${t('Läufe bisher', 'runs so far')}: ${m.retentionRuns.run} (${t('Probeläufe', 'dry runs')}: ${m.retentionRuns.dryRun})`,
        t(
          'Metriken: `draftbridge_retention_runs`, `draftbridge_retention_last_run_timestamp_seconds`, `draftbridge_retention_last_removed`',
          'metrics: `draftbridge_retention_runs`, `draftbridge_retention_last_run_timestamp_seconds`, `draftbridge_retention_last_removed`',
        ),
        t(
          'Prüfpfad-Ereignisse: `retention.run` je Lauf, `dsr.erasure` je Löschersuchen',
          'audit events: `retention.run` per run, `dsr.erasure` per erasure',
        ),
      ],
    },
  ];
  return { id: 'deletion', lang, title: t('Löschkonzept', 'Deletion concept'), blocks };
}
