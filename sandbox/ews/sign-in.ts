import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createChallenge, ntlmMessageType, verifyAuthenticate, type NtlmAccount } from './ntlm.ts';

/**
 * How the simulated Exchange's IIS signs callers in: NTLM (the handshake state kept per connection,
 * as NTLM authenticates the connection), Basic, or a bearer token from its own client-credentials
 * endpoint. Only the methods the EWS virtual directory allows are offered in the 401.
 */
export class SimSignIn {
  readonly account: NtlmAccount;
  readonly oauthClient = { clientId: randomUUID(), clientSecret: randomBytes(24).toString('base64url') };
  /** Failed sign-ins (reason only). */
  readonly failures: string[] = [];
  /** NTLM challenges issued (one per handshake). */
  handshakes = 0;
  private readonly allowed: Set<string>;
  private readonly tokens = new Set<string>();
  private readonly ntlmState = new WeakMap<Socket, { challenge?: Buffer; user?: string }>();

  constructor(account: NtlmAccount, allowed: readonly string[]) {
    this.account = account;
    this.allowed = new Set(allowed);
  }

  private challengeHeaders(): string[] {
    return [
      ...(this.allowed.has('ntlm') ? ['Negotiate', 'NTLM'] : []),
      ...(this.allowed.has('basic') ? ['Basic realm="exch01.example.test"'] : []),
    ];
  }

  /** Who is calling, or null after answering 401 (with an NTLM challenge where the handshake goes on). */
  authenticate(req: IncomingMessage, res: ServerResponse): string | null {
    const header = req.headers.authorization;
    const state = this.ntlmState.get(req.socket) ?? {};
    this.ntlmState.set(req.socket, state);
    const ntlm = this.allowed.has('ntlm') ? ntlmMessageType(header) : null;
    if (ntlm?.type === 1) {
      const challenge = createChallenge(this.account.domain);
      state.challenge = challenge.challenge;
      this.handshakes++;
      res.writeHead(401, { 'www-authenticate': challenge.message, 'content-length': 0 }).end();
      return null;
    }
    if (ntlm?.type === 3 && state.challenge) {
      const result = verifyAuthenticate(ntlm.message, state.challenge, this.account);
      state.challenge = undefined;
      if ('user' in result) {
        state.user = result.user;
        return 'ntlm';
      }
      this.failures.push(`ntlm: ${result.error}`);
    } else if (state.user && !header) {
      return 'ntlm'; // NTLM authenticates the connection
    } else if (header?.startsWith('Basic ') && this.allowed.has('basic')) {
      if (this.basicMatches(header.slice(6))) return 'basic';
      this.failures.push('basic: wrong user or password');
    } else if (header?.startsWith('Bearer ') && this.allowed.has('oauth')) {
      if (this.tokens.has(header.slice(7))) return 'oauth';
      this.failures.push('oauth: unknown token');
    }
    res.writeHead(401, { 'www-authenticate': this.challengeHeaders(), 'content-length': 0 }).end();
    return null;
  }

  /** `DOMAIN\user` or `user@domain.test`, and the password. */
  private basicMatches(encoded: string): boolean {
    const [user, ...rest] = Buffer.from(encoded, 'base64').toString().split(':');
    const { domain, username, password } = this.account;
    const names = [`${domain}\\${username}`.toLowerCase(), `${username}@${domain}.test`.toLowerCase()];
    return names.includes((user ?? '').toLowerCase()) && rest.join(':') === password;
  }

  /** POST /oauth2/token: the client-credentials grant for hybrid modern auth. */
  token(body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_id') !== this.oauthClient.clientId ||
      form.get('client_secret') !== this.oauthClient.clientSecret
    ) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    const value = randomBytes(32).toString('base64url');
    this.tokens.add(value);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: value, token_type: 'Bearer', expires_in: 3600 }));
  }
}
