import type { Policy } from '../../src/policy.ts';
import type { ConnectorMetrics, Ports } from '../../src/ports.ts';
import type { Settings } from '../../src/settings.ts';
import { EwsMail } from './connector.ts';
import type { EwsAuth } from './transport.ts';
import { EwsWatch } from './watch.ts';

/** EWS_AUTH and its credentials as the transport takes them. */
export function ewsAuthFromSettings(settings: Settings): EwsAuth {
  if (settings.EWS_AUTH === 'oauth') {
    const url = new URL(settings.EWS_URL ?? 'https://invalid.example/EWS/Exchange.asmx');
    return {
      kind: 'oauth',
      tokenUrl: settings.EWS_OAUTH_TOKEN_URL ?? '',
      clientId: settings.EWS_OAUTH_CLIENT_ID ?? '',
      clientSecret: settings.EWS_OAUTH_CLIENT_SECRET ?? '',
      // Hybrid modern auth: the on-premises EWS host is the resource.
      scope: settings.EWS_OAUTH_SCOPE ?? `${url.origin}/.default`,
    };
  }
  return {
    kind: settings.EWS_AUTH,
    username: settings.EWS_USERNAME ?? '',
    password: settings.EWS_PASSWORD ?? '',
    domain: settings.EWS_DOMAIN ?? '',
  };
}

export function ewsMailFromSettings(settings: Settings, metrics?: ConnectorMetrics): EwsMail {
  return new EwsMail({
    url: settings.EWS_URL ?? '',
    auth: ewsAuthFromSettings(settings),
    ...(metrics ? { metrics } : {}),
  });
}

/** Exchange: drafts, sending and the calendar through EWS; approvals through pull subscriptions. */
export function ewsPorts(
  settings: Settings,
  policy: Policy,
  metrics?: ConnectorMetrics,
): Pick<Ports, 'mail' | 'calendar' | 'ewsWatch'> {
  const mail = ewsMailFromSettings(settings, metrics);
  return {
    mail,
    calendar: mail,
    ewsWatch: (store) =>
      new EwsWatch(store, mail, {
        prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX,
        linkTtlMs: policy.retention.request ?? 30 * 86_400_000,
      }),
  };
}
