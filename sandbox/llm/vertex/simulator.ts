import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import jws from 'jws';
import { z } from 'zod';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../../support.ts';
import {
  draftFrom,
  estimateTokens,
  QuotaCounter,
  type DeploymentQuota,
  type QuotaStats,
} from '../simulator.ts';

/**
 * Google Vertex AI's regional endpoint for tests and the sandbox: `POST /v1/projects/{p}/locations/{l}
 * /publishers/google/models/{m}:generateContent` with an OAuth bearer token, which a simulated Google
 * token endpoint (`/token`, the service-account JWT-bearer grant with scope cloud-platform) issues.
 * Errors are Google's `{error:{code,message,status}}`: 401 UNAUTHENTICATED, 404 NOT_FOUND for another
 * project, location or model, 429 RESOURCE_EXHAUSTED (no Retry-After). JSON output only when
 * generationConfig.responseMimeType is application/json; answers carry usageMetadata.
 */

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const LIBRARY_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const AssertionClaims = z.object({
  iss: z.string(),
  aud: z.string(),
  scope: z.string(),
  exp: z.number(),
  iat: z.number(),
});

export interface VertexSimulator {
  /** The stand-in for https://<location>-aiplatform.googleapis.com (VERTEX_BASE_URL). */
  url: string;
  tokenUrl: string;
  project: string;
  location: string;
  models: string[];
  /** A service-account key (JSON) the token endpoint accepts (GOOGLE_APPLICATION_CREDENTIALS). */
  serviceAccountKey: string;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setQuota(quota: DeploymentQuota | undefined): void;
  quotaStats(): QuotaStats;
  close(): Promise<void>;
}

interface GenerateBody {
  contents?: { role?: string; parts?: { text?: string }[] }[];
  systemInstruction?: { parts?: { text?: string }[] };
  generationConfig?: {
    maxOutputTokens?: number;
    temperature?: number;
    responseMimeType?: string;
    responseSchema?: unknown;
  };
}

export async function startVertexSimulator(
  options: { project?: string; location?: string; models?: string[]; quota?: DeploymentQuota } = {},
): Promise<VertexSimulator> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 4 * 1024 * 1024 });
  const faults = new FaultInjector();
  const project = options.project ?? 'draftbridge-sandbox';
  const location = options.location ?? 'europe-west3';
  const models = options.models ?? ['gemini-2.0-flash-001', 'gemini-2.5-flash'];
  const sa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const saEmail = `draftbridge-vertex@${project}.iam.gserviceaccount.com`;
  const tokens = new Map<string, number>();
  let quota = options.quota ? new QuotaCounter(options.quota) : undefined;

  const googleError = (reply: FastifyReply, code: number, status: string, message: string) =>
    reply.code(code).type('application/json').send({ error: { code, message, status } });

  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post('/token', async (request: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
      const form = request.body ?? {};
      if (form.grant_type !== JWT_BEARER)
        return reply.code(400).send({
          error: 'unsupported_grant_type',
          error_description: `Invalid grant_type: ${form.grant_type ?? ''}`,
        });
      const assertion = form.assertion ?? '';
      let valid: boolean;
      try {
        valid = jws.verify(assertion, 'RS256', sa.publicKey);
      } catch {
        valid = false;
      }
      if (!valid)
        return reply.code(400).send({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
      const claims = AssertionClaims.safeParse(jws.decode(assertion, { json: true })?.payload);
      const now = Math.floor(Date.now() / 1000);
      if (
        !claims.success ||
        claims.data.iss !== saEmail ||
        claims.data.aud !== LIBRARY_TOKEN_AUDIENCE ||
        claims.data.exp < now ||
        claims.data.exp - claims.data.iat > 3600
      ) {
        return reply.code(400).send({
          error: 'invalid_grant',
          error_description:
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
        });
      }
      if (!claims.data.scope.split(' ').includes(CLOUD_PLATFORM))
        return reply.code(400).send({
          error: 'invalid_scope',
          error_description: 'Invalid OAuth scope or ID token audience provided.',
        });
      const token = `ya29.c.${randomBytes(48).toString('base64url')}`;
      tokens.set(token, Date.now() + 3_600_000);
      return reply.send({ access_token: token, expires_in: 3599, token_type: 'Bearer' });
    });
  });

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request) => {
      faults.record(request);
    });
    scope.addHook('preHandler', async (request, reply) => {
      recordBody(request);
      const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if ((tokens.get(token) ?? 0) < Date.now()) {
        return googleError(
          reply,
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
      }
      const fault = faults.take(request);
      if (!fault) return;
      if (await applyTransportFault(fault, reply, '{"candidates":[{"content":')) return reply;
      if (fault.status === 429)
        return googleError(
          reply,
          429,
          'RESOURCE_EXHAUSTED',
          'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
        );
      if (fault.status === 503)
        return googleError(reply, 503, 'UNAVAILABLE', 'The service is currently unavailable.');
      if (fault.status)
        return googleError(
          reply,
          fault.status,
          fault.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT',
          'Internal error encountered.',
        );
      if (fault.finishReason)
        (request as unknown as { finishReason?: string }).finishReason = fault.finishReason;
    });
    scope.post(
      '/v1/projects/:project/locations/:location/publishers/google/models/:action',
      async (
        request: FastifyRequest<{ Params: { project: string; location: string; action: string } }>,
        reply,
      ) => {
        const { project: p, location: l, action } = request.params;
        const [model, method] = action.split(':');
        if (method !== 'generateContent')
          return googleError(reply, 404, 'NOT_FOUND', `Method ${method ?? ''} not found.`);
        if (p !== project || l !== location || !models.includes(model ?? '')) {
          return googleError(
            reply,
            404,
            'NOT_FOUND',
            `Publisher Model \`projects/${p}/locations/${l}/publishers/google/models/${model}\` was not found or your project does not have access to it.`,
          );
        }
        return generate(request, reply, model!);
      },
    );
  });

  const generate = async (request: FastifyRequest, reply: FastifyReply, model: string) => {
    const body = (request.body ?? {}) as GenerateBody;
    const user = (body.contents ?? [])
      .filter((c) => c.role !== 'model')
      .flatMap((c) => c.parts ?? [])
      .map((p) => p.text ?? '')
      .join('\n');
    if (!user)
      return googleError(
        reply,
        400,
        'INVALID_ARGUMENT',
        'Unable to submit request because it has an empty contents field.',
      );
    const system = (body.systemInstruction?.parts ?? []).map((p) => p.text ?? '').join('\n');
    const maxTokens = body.generationConfig?.maxOutputTokens ?? 8192;
    if (quota && !quota.admit(estimateTokens(system + user) + maxTokens).ok) {
      return googleError(
        reply,
        429,
        'RESOURCE_EXHAUSTED',
        'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
      );
    }
    const draft = draftFrom(system, user);
    const json = body.generationConfig?.responseMimeType === 'application/json';
    let text = json ? JSON.stringify(draft) : `${draft.subject}\n\n${draft.body}`;
    let finishReason = 'STOP';
    const finish = (request as unknown as { finishReason?: string }).finishReason;
    if (finish === 'length')
      [text, finishReason] = [text.slice(0, Math.floor(text.length / 2)), 'MAX_TOKENS'];
    const safe = [
      'HARM_CATEGORY_HATE_SPEECH',
      'HARM_CATEGORY_DANGEROUS_CONTENT',
      'HARM_CATEGORY_HARASSMENT',
      'HARM_CATEGORY_SEXUALLY_EXPLICIT',
    ].map((category) => ({
      category,
      probability: 'NEGLIGIBLE',
      probabilityScore: 0.02,
      severity: 'HARM_SEVERITY_NEGLIGIBLE',
      severityScore: 0.01,
    }));
    const blocked = finish === 'content_filter';
    const safetyRatings = blocked
      ? safe.map((r) =>
          r.category === 'HARM_CATEGORY_HARASSMENT' ? { ...r, probability: 'HIGH', blocked: true } : r,
        )
      : safe;
    const candidate = blocked
      ? { finishReason: 'SAFETY', safetyRatings }
      : { content: { role: 'model', parts: [{ text }] }, finishReason, safetyRatings, avgLogprobs: -0.12 };
    const promptTokenCount = estimateTokens(system + user);
    const candidatesTokenCount = blocked ? 0 : estimateTokens(text);
    return reply.type('application/json').send({
      candidates: [candidate],
      usageMetadata: {
        promptTokenCount,
        candidatesTokenCount,
        totalTokenCount: promptTokenCount + candidatesTokenCount,
        trafficType: 'ON_DEMAND',
      },
      modelVersion: model,
      createTime: new Date().toISOString(),
      responseId: randomUUID().replace(/-/g, '').slice(0, 22),
    });
  };

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const serviceAccountKey = JSON.stringify({
    type: 'service_account',
    project_id: project,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: sa.privateKey,
    client_email: saEmail,
    client_id: String(100_000_000_000_000_000_000n + BigInt(Date.now())),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: `${url}/token`,
    universe_domain: 'googleapis.com',
  });
  return {
    url,
    tokenUrl: `${url}/token`,
    project,
    location,
    models,
    serviceAccountKey,
    requests: faults.requests,
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setQuota(value) {
      quota = value ? new QuotaCounter(value) : undefined;
    },
    quotaStats: () => quota?.stats ?? { admitted: [], throttled: 0, calls: 0 },
    close: () => app.close(),
  };
}
