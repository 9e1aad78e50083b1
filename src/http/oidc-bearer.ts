import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';

/**
 * Bearer tokens from Entra ID (or any OIDC provider): the signature is checked against the issuer's
 * JWKS (found through its discovery document), plus issuer, audience and expiry. Unsigned tokens
 * (`alg: none`) and symmetric algorithms never verify: only the asymmetric ones below are accepted.
 */

export const OidcDiscovery = z.object({
  issuer: z.string().min(1),
  jwks_uri: z.url(),
  authorization_endpoint: z.url().optional(),
  token_endpoint: z.url().optional(),
});
export type OidcDiscovery = z.infer<typeof OidcDiscovery>;

const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];

export class OidcTokenRejected extends Error {
  /** A stable code for logs and tests: expired, audience, issuer, signature, malformed, discovery. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'OidcTokenRejected';
    this.code = code;
  }
}

export class OidcBearerVerifier {
  readonly issuer: string;
  readonly audience: string;
  private discovered:
    Promise<{ discovery: OidcDiscovery; jwks: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  constructor(options: { issuer: string; audience: string }) {
    this.issuer = options.issuer.replace(/\/+$/, '');
    this.audience = options.audience;
  }

  /** The discovery document, fetched once (retried on the next call after a failure). */
  discovery(): Promise<{ discovery: OidcDiscovery; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    this.discovered ??= (async () => {
      const res = await fetch(`${this.issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new OidcTokenRejected('discovery', `discovery answered ${res.status}`);
      const discovery = OidcDiscovery.parse(await res.json());
      if (discovery.issuer.replace(/\/+$/, '') !== this.issuer)
        throw new OidcTokenRejected('discovery', 'discovery names another issuer');
      return {
        discovery,
        jwks: createRemoteJWKSet(new URL(discovery.jwks_uri), {
          timeoutDuration: 5_000,
          cooldownDuration: 30_000,
        }),
      };
    })();
    this.discovered.catch(() => {
      this.discovered = undefined;
    });
    return this.discovered;
  }

  async verify(token: string): Promise<JWTPayload> {
    const { discovery, jwks } = await this.discovery();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        // Entra's discovery spells the issuer exactly as tokens carry it.
        issuer: [this.issuer, discovery.issuer],
        audience: this.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      });
      return payload;
    } catch (err) {
      throw new OidcTokenRejected(
        rejectionCode(err as Error & { code?: string; claim?: string }),
        (err as Error).message,
      );
    }
  }
}

function rejectionCode(err: Error & { code?: string; claim?: string }): string {
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return err.claim === 'aud' ? 'audience' : err.claim === 'iss' ? 'issuer' : 'claims';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'signature';
    default:
      return 'malformed';
  }
}
