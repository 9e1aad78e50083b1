import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OAuth2 } from 'jsforce';

/**
 * Server-to-server sign-in for the integration user: OAuth 2.0 client credentials (a Connected App
 * with a run-as user) or the JWT bearer flow (a Connected App with an uploaded certificate). Neither
 * answer carries a refresh token, so the connector hands `requestToken` to jsforce as its `refreshFn`
 * and an expired session (401 INVALID_SESSION_ID) simply signs in again.
 */
export type SalesforceAuth =
  | { flow: 'client_credentials'; loginUrl: string; clientId: string; clientSecret: string }
  | {
      flow: 'jwt_bearer';
      loginUrl: string;
      clientId: string;
      username: string;
      privateKeyPem: string;
      audience?: string;
    };

export interface SalesforceToken {
  access_token: string;
  instance_url: string;
  /** `https://login.salesforce.com/id/<orgId>/<userId>` */
  id: string;
  token_type?: string;
  scope?: string;
}

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** From settings: the JWT flow when a username and key are set, else client credentials. */
export function authFromSettings(s: {
  SALESFORCE_LOGIN_URL: string;
  SALESFORCE_CLIENT_ID?: string | undefined;
  SALESFORCE_CLIENT_SECRET?: string | undefined;
  SALESFORCE_USERNAME?: string | undefined;
  SALESFORCE_PRIVATE_KEY?: string | undefined;
}): SalesforceAuth {
  const loginUrl = s.SALESFORCE_LOGIN_URL.replace(/\/+$/, '');
  if (s.SALESFORCE_USERNAME && s.SALESFORCE_PRIVATE_KEY) {
    return {
      flow: 'jwt_bearer',
      loginUrl,
      clientId: s.SALESFORCE_CLIENT_ID ?? '',
      username: s.SALESFORCE_USERNAME,
      privateKeyPem: readPrivateKey(s.SALESFORCE_PRIVATE_KEY),
    };
  }
  return {
    flow: 'client_credentials',
    loginUrl,
    clientId: s.SALESFORCE_CLIENT_ID ?? '',
    clientSecret: s.SALESFORCE_CLIENT_SECRET ?? '',
  };
}

/** SALESFORCE_PRIVATE_KEY holds the PEM itself or the path of a PEM file. */
export function readPrivateKey(value: string): string {
  return value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readFileSync(value, 'utf8');
}

/**
 * The assertion Salesforce documents for the JWT bearer flow: RS256, iss = consumer key, sub = the
 * integration user's username, aud = the login host, exp within three minutes.
 */
export function jwtAssertion(
  auth: Extract<SalesforceAuth, { flow: 'jwt_bearer' }>,
  now = Date.now(),
): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'RS256' })}.${b64({ iss: auth.clientId, sub: auth.username, aud: auth.audience ?? auth.loginUrl, exp: Math.floor(now / 1000) + 180 })}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), auth.privateKeyPem).toString('base64url')}`;
}

/** One token request through jsforce's OAuth2 client (form POST to /services/oauth2/token). */
export async function requestToken(auth: SalesforceAuth): Promise<SalesforceToken> {
  if (auth.flow === 'client_credentials') {
    const oauth2 = new OAuth2({
      loginUrl: auth.loginUrl,
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
    });
    return (await oauth2.requestToken({ grant_type: 'client_credentials' })) as unknown as SalesforceToken;
  }
  // No client id/secret on this OAuth2: the assertion is the whole credential.
  const oauth2 = new OAuth2({ loginUrl: auth.loginUrl });
  return (await oauth2.requestToken({
    grant_type: JWT_BEARER_GRANT,
    assertion: jwtAssertion(auth),
  })) as unknown as SalesforceToken;
}
