import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import ntlm from '@ewsjs/ntlm-client';
import { TimeoutError, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import { Semaphore } from '../rate-window.ts';

/**
 * How draftbridge reaches /EWS/Exchange.asmx: HTTPS always (the CA from NODE_EXTRA_CA_CERTS when the
 * company has its own), authenticated with NTLM, Basic or an OAuth bearer token. NTLM authenticates
 * a connection, not a request: the Type 1 (negotiate) and Type 3 (authenticate) messages must go on
 * the same socket, so NTLM calls use a small pool of one-socket keep-alive connections, and a
 * connection Exchange has authenticated carries later calls without a new handshake.
 */
export type EwsAuth =
  | { kind: 'ntlm'; username: string; password: string; domain: string; workstation?: string }
  | { kind: 'basic'; username: string; password: string; domain: string }
  | { kind: 'oauth'; tokenUrl: string; clientId: string; clientSecret: string; scope: string };

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const WORKSTATION = 'DRAFTBRIDGE';
/** Parallel NTLM connections per process (Exchange's default EwsMaxConcurrency is 27 per account). */
const MAX_NTLM_CONNECTIONS = 8;

function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  agent: Agent,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new TimeoutError(timeoutMs)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `DOMAIN\user` or `user@domain` as given; a separate EWS_DOMAIN wins for NTLM. */
function splitUser(username: string, domain: string): { user: string; domain: string } {
  const slash = username.indexOf('\\');
  if (slash > 0) return { user: username.slice(slash + 1), domain: domain || username.slice(0, slash) };
  return { user: username, domain };
}

export class EwsTransport {
  private readonly url: URL;
  private readonly auth: EwsAuth;
  private readonly timeoutMs: number;
  /** Basic and bearer requests reuse connections; NTLM exchanges get their own agent each. */
  private readonly shared = new Agent({ keepAlive: true, maxSockets: 16 });
  private token: { value: string; expiresAt: number } | null = null;
  /** NTLM connections (each one socket) that Exchange has authenticated, free for the next call. */
  private readonly idle: { agent: Agent; authenticated: boolean }[] = [];
  private readonly connections = new Semaphore(MAX_NTLM_CONNECTIONS);

  constructor(url: string, auth: EwsAuth, timeoutMs = 30_000) {
    this.url = new URL(url);
    if (this.url.protocol !== 'https:')
      throw new Error('EWS_URL must be https:// (credentials never go over plain http)');
    this.auth = auth;
    this.timeoutMs = timeoutMs;
  }

  /** One SOAP call; the answer as it came (the caller reads faults and response codes). */
  async post(action: string, xml: string, anchorMailbox?: string): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"http://schemas.microsoft.com/exchange/services/2006/messages/${action}"`,
      accept: 'text/xml',
      // Routes the request to the mailbox's server (recommended with impersonation).
      ...(anchorMailbox ? { 'x-anchormailbox': anchorMailbox } : {}),
    };
    try {
      switch (this.auth.kind) {
        case 'ntlm':
          return await this.ntlm(headers, xml, this.auth);
        case 'basic': {
          const { user, domain } = splitUser(this.auth.username, this.auth.domain);
          const name = domain && !user.includes('@') ? `${domain}\\${user}` : user;
          const basic = Buffer.from(`${name}:${this.auth.password}`).toString('base64');
          return await send(
            this.url,
            { ...headers, authorization: `Basic ${basic}` },
            xml,
            this.shared,
            this.timeoutMs,
          );
        }
        case 'oauth':
          return await send(
            this.url,
            { ...headers, authorization: `Bearer ${await this.bearer(this.auth)}` },
            xml,
            this.shared,
            this.timeoutMs,
          );
      }
    } catch (err) {
      if (err instanceof TimeoutError)
        throw new UpstreamUnavailable(
          'ews',
          `EWS ${action}: no answer from ${this.url.host} within ${this.timeoutMs} ms`,
          undefined,
          { cause: err },
        );
      if (err instanceof UpstreamRejected || err instanceof UpstreamUnavailable) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const tls = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
        ? ' (a company CA? set NODE_EXTRA_CA_CERTS to its PEM file)'
        : '';
      throw new UpstreamUnavailable(
        'ews',
        `EWS ${action}: cannot reach ${this.url.host}: ${code || (err as Error).message}${tls}`,
        undefined,
        { cause: err },
      );
    }
  }

  /**
   * NTLM on a pooled one-socket connection: a connection Exchange already authenticated carries the
   * request as it is; otherwise (new socket, or the server closed the old one and answers 401)
   * negotiate (Type 1) → challenge (Type 2, in the 401) → authenticate (Type 3) with the request.
   */
  private async ntlm(
    headers: Record<string, string>,
    xml: string,
    auth: Extract<EwsAuth, { kind: 'ntlm' }>,
  ): Promise<HttpAnswer> {
    return this.connections.run(async () => {
      const connection = this.idle.pop() ?? {
        agent: new Agent({ keepAlive: true, maxSockets: 1 }),
        authenticated: false,
      };
      try {
        if (connection.authenticated) {
          const answer = await send(this.url, headers, xml, connection.agent, this.timeoutMs);
          if (answer.status !== 401) {
            this.idle.push(connection);
            return answer;
          }
          connection.authenticated = false;
        }
        const answer = await this.handshake(headers, xml, auth, connection.agent);
        connection.authenticated = answer.status !== 401;
        this.idle.push(connection);
        return answer;
      } catch (err) {
        connection.agent.destroy();
        throw err;
      }
    });
  }

  private async handshake(
    headers: Record<string, string>,
    xml: string,
    auth: Extract<EwsAuth, { kind: 'ntlm' }>,
    agent: Agent,
  ): Promise<HttpAnswer> {
    const { user, domain } = splitUser(auth.username, auth.domain);
    const workstation = auth.workstation ?? WORKSTATION;
    const negotiate = ntlm.createType1Message(workstation, domain);
    const first = await send(this.url, { ...headers, authorization: negotiate }, '', agent, this.timeoutMs);
    if (first.status !== 401) return first;
    const offered = [first.headers['www-authenticate'] ?? []].flat().join(', ');
    const challenge = /NTLM ([A-Za-z0-9+/=]+)/.exec(offered)?.[1];
    if (!challenge)
      throw new UpstreamRejected(
        'ews',
        401,
        `EWS at ${this.url.host} offers no NTLM challenge (offered: ${offered.replace(/ [A-Za-z0-9+/=]{20,}/g, ' …') || 'nothing'}); set EWS_AUTH to what the EWS virtual directory allows`,
      );
    const type2 = ntlm.decodeType2Message(`NTLM ${challenge}`);
    const authenticate = ntlm.createType3Message(
      type2,
      user,
      auth.password,
      workstation,
      domain || undefined,
    );
    return send(this.url, { ...headers, authorization: authenticate }, xml, agent, this.timeoutMs);
  }

  /** Client-credentials token for hybrid modern auth, cached until a minute before it expires. */
  private async bearer(auth: Extract<EwsAuth, { kind: 'oauth' }>): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 60_000) return this.token.value;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
      scope: auth.scope,
    });
    const res = await fetch(auth.tokenUrl, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((err: Error) => {
      throw new UpstreamUnavailable(
        'ews',
        `EWS token endpoint ${new URL(auth.tokenUrl).host} unreachable: ${err.message}`,
      );
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
    };
    if (!res.ok || !body.access_token) {
      if (res.status >= 500)
        throw new UpstreamUnavailable('ews', `EWS token endpoint answered ${res.status}`, res.status);
      throw new UpstreamRejected(
        'ews',
        res.status,
        `EWS token endpoint refused the client (${body.error ?? res.status}); check EWS_OAUTH_CLIENT_ID and EWS_OAUTH_CLIENT_SECRET`,
      );
    }
    this.token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return this.token.value;
  }

  close(): void {
    this.shared.destroy();
    for (const connection of this.idle.splice(0)) connection.agent.destroy();
  }
}
