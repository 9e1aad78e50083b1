import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * The Entra ID endpoints MSAL (under @azure/identity) calls for app-only tokens: instance discovery,
 * the tenant's OpenID configuration and the v2.0 token endpoint (client credentials, `/.default`
 * scope). Mounted on a simulator that runs over TLS (MSAL refuses http authorities). Graph's and
 * Dataverse's simulators both use it, parameterised by the resource the token is for.
 */
export interface EntraIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Tokens issued so far (the resource server checks bearer tokens against them). */
  tokens: Set<string>;
}

export interface EntraApp extends EntraIdentity {
  /** Every token is invalid from now on (an expired or revoked token). */
  revokeAll(): void;
}

export function registerEntraRoutes(
  app: FastifyInstance,
  options: { origin: () => string; resource: () => string; roles?: string[]; identity?: EntraIdentity },
): EntraApp {
  const identity: EntraIdentity = options.identity ?? {
    tenantId: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    tokens: new Set(),
  };
  const entra: EntraApp = {
    ...identity,
    revokeAll() {
      identity.tokens.clear();
    },
  };

  app.get('/common/discovery/instance', async (_request, reply) => {
    const origin = options.origin();
    return reply.send({
      tenant_discovery_endpoint: `${origin}/${entra.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [
        {
          preferred_network: new URL(origin).host,
          preferred_cache: new URL(origin).host,
          aliases: [new URL(origin).host],
        },
      ],
    });
  });
  app.get(
    '/:tenant/v2.0/.well-known/openid-configuration',
    async (request: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
      const origin = options.origin();
      const t = request.params.tenant;
      return reply.send({
        token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${origin}/${entra.tenantId}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${origin}/oidc/userinfo`,
        authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
    },
  );
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post(
      '/:tenant/oauth2/v2.0/token',
      async (
        request: FastifyRequest<{ Params: { tenant: string }; Body: Record<string, string> }>,
        reply,
      ) => {
        const form = request.body ?? {};
        let id = form.client_id;
        let secret = form.client_secret;
        const basic = request.headers.authorization?.match(/^Basic (.+)$/)?.[1];
        if (basic) [id, secret] = Buffer.from(basic, 'base64').toString().split(':');
        if (form.grant_type !== 'client_credentials')
          return reply.code(400).send({
            error: 'unsupported_grant_type',
            error_description: 'AADSTS70003: The app requested an unsupported grant type.',
          });
        if (request.params.tenant !== entra.tenantId)
          return reply.code(400).send({
            error: 'invalid_request',
            error_description: `AADSTS90002: Tenant '${request.params.tenant}' not found.`,
          });
        if (id !== entra.clientId || secret !== entra.clientSecret)
          return reply.code(401).send({
            error: 'invalid_client',
            error_description: 'AADSTS7000215: Invalid client secret provided.',
          });
        const resource = options.resource();
        if (form.scope !== `${resource}/.default`) {
          return reply.code(400).send({
            error: 'invalid_scope',
            error_description: `AADSTS500011: The resource principal named ${String(form.scope ?? '').replace('/.default', '')} was not found in the tenant.`,
          });
        }
        const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256' })).toString('base64url');
        const payload = Buffer.from(
          JSON.stringify({
            aud: resource,
            iss: `https://sts.windows.net/${entra.tenantId}/`,
            tid: entra.tenantId,
            appid: entra.clientId,
            roles: options.roles ?? [],
            exp: Math.floor(Date.now() / 1000) + 3600,
          }),
        ).toString('base64url');
        const token = `${header}.${payload}.${randomBytes(32).toString('base64url')}`;
        entra.tokens.add(token);
        return reply.send({
          token_type: 'Bearer',
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: token,
        });
      },
    );
  });
  return entra;
}
