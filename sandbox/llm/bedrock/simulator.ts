import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../../support.ts';
import { generateSimulatorTls, type SimulatorTls } from '../../tls.ts';
import {
  draftFrom,
  estimateTokens,
  QuotaCounter,
  type DeploymentQuota,
  type QuotaStats,
} from '../simulator.ts';
import { verifySigV4 } from './sigv4.ts';

/**
 * AWS Bedrock runtime's Converse API for tests and the sandbox: `POST /model/{modelId}/converse`
 * (the model id URL-encoded in the path), SigV4 with service `bedrock` verified on every request
 * (unknown key → 403 UnrecognizedClientException, wrong secret → 403 InvalidSignatureException),
 * errors as AWS's REST-JSON protocol sends them (`x-amzn-ErrorType` header, `{"message"}` body),
 * throttling as 429 ThrottlingException without Retry-After, and `usage`/`metrics` in the answer.
 * Like the real endpoint it speaks HTTP/2 over TLS (ALPN h2, HTTP/1.1 allowed): the SDK's default
 * handler is HTTP/2 and signs `:authority` instead of `host`.
 */

export interface BedrockSimulator {
  /** https://127.0.0.1:port (BEDROCK_ENDPOINT_URL). */
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Model ids and inference profiles this account may invoke. */
  models: string[];
  tls: SimulatorTls;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setQuota(quota: DeploymentQuota | undefined): void;
  quotaStats(): QuotaStats;
  close(): Promise<void>;
}

interface ConverseBody {
  messages?: { role: string; content: { text?: string }[] }[];
  system?: { text?: string }[];
  inferenceConfig?: { maxTokens?: number; temperature?: number };
  toolConfig?: {
    tools?: { toolSpec?: { name: string; inputSchema?: { json?: unknown } } }[];
    toolChoice?: { tool?: { name: string } };
  };
}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

export async function startBedrockSimulator(
  options: { region?: string; tls?: SimulatorTls; models?: string[]; quota?: DeploymentQuota } = {},
): Promise<BedrockSimulator> {
  const material = options.tls ?? (await generateSimulatorTls());
  const region = options.region ?? 'eu-central-1';
  const accessKeyId = 'AKIASANDBOXBEDROCK01';
  const secretAccessKey = 'sandbox/bedrock/secret+key0000000000000';
  const models = options.models ?? [
    'eu.anthropic.claude-3-7-sonnet-20250219-v1:0',
    'mistral.mistral-large-2402-v1:0',
  ];
  const faults = new FaultInjector();
  let quota = options.quota ? new QuotaCounter(options.quota) : undefined;
  // HTTP/2 with HTTP/1.1 fallback; typed as the plain instance the shared simulator helpers take.
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    http2: true,
    https: { allowHTTP1: true, key: material.keyPem, cert: material.certPem },
  }) as unknown as FastifyInstance;

  // The signature covers the exact bytes: keep them beside the parsed body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as unknown as { rawBody: string }).rawBody = String(body);
    try {
      done(null, body === '' ? {} : JSON.parse(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  const awsError = (reply: FastifyReply, status: number, type: string, message: string) =>
    reply
      .code(status)
      .header('x-amzn-ErrorType', `${type}:${ERROR_NAMESPACE}`)
      .header('x-amzn-RequestId', randomUUID())
      .type('application/json')
      .send({ message });

  app.addHook('onRequest', async (request) => {
    faults.record(request);
  });
  app.addHook('preHandler', async (request, reply) => {
    recordBody(request);
    const verdict = verifySigV4(
      {
        method: request.method,
        rawPath: request.url.split('?')[0]!,
        query: request.url.split('?')[1] ?? '',
        headers: request.headers,
        body: (request as unknown as { rawBody?: string }).rawBody ?? '',
      },
      { service: 'bedrock', region, secrets: new Map([[accessKeyId, secretAccessKey]]) },
    );
    if (!verdict.ok) return awsError(reply, 403, verdict.errorType, verdict.message);
    const fault = faults.take(request);
    if (!fault) return;
    if (await applyTransportFault(fault, reply, '{"output":{"message":')) return reply;
    if (fault.status === 429)
      return awsError(reply, 429, 'ThrottlingException', 'Too many tokens, please wait before trying again.');
    if (fault.status === 503)
      return awsError(
        reply,
        503,
        'ServiceUnavailableException',
        'Bedrock is unable to process your request.',
      );
    if (fault.status)
      return awsError(
        reply,
        fault.status,
        fault.status >= 500 ? 'InternalServerException' : 'ValidationException',
        'The server encountered an internal error.',
      );
    if (fault.finishReason)
      (request as unknown as { finishReason?: string }).finishReason = fault.finishReason;
  });

  app.post(
    '/model/:modelId/converse',
    async (request: FastifyRequest<{ Params: { modelId: string } }>, reply) => {
      const { modelId } = request.params;
      if (!models.includes(modelId))
        return awsError(reply, 400, 'ValidationException', 'The provided model identifier is invalid.');
      const body = (request.body ?? {}) as ConverseBody;
      if (!Array.isArray(body.messages) || body.messages.length === 0)
        return awsError(
          reply,
          400,
          'ValidationException',
          "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
        );
      const system = (body.system ?? []).map((s) => s.text ?? '').join('\n');
      const user = body.messages
        .filter((m) => m.role === 'user')
        .flatMap((m) => m.content.map((c) => c.text ?? ''))
        .join('\n');
      const maxTokens = body.inferenceConfig?.maxTokens ?? 4096;
      if (quota) {
        // Bedrock reserves input + max_tokens at admission against the tokens-per-minute quota.
        const verdict = quota.admit(estimateTokens(system + user) + maxTokens);
        if (!verdict.ok)
          return awsError(
            reply,
            429,
            'ThrottlingException',
            'Too many tokens, please wait before trying again.',
          );
      }
      const started = Date.now();
      const draft = draftFrom(system, user);
      const finish = (request as unknown as { finishReason?: string }).finishReason;
      const toolName = body.toolConfig?.toolChoice?.tool?.name ?? body.toolConfig?.tools?.[0]?.toolSpec?.name;
      let content: unknown[] = toolName
        ? [
            {
              toolUse: {
                toolUseId: `tooluse_${randomUUID().replace(/-/g, '').slice(0, 22)}`,
                name: toolName,
                input: draft,
              },
            },
          ]
        : [{ text: JSON.stringify(draft) }];
      let stopReason = toolName ? 'tool_use' : 'end_turn';
      if (finish === 'length')
        [content, stopReason] = [[{ text: JSON.stringify(draft).slice(0, 40) }], 'max_tokens'];
      if (finish === 'content_filter')
        [content, stopReason] = [[{ text: 'Sorry, the model cannot answer this.' }], 'content_filtered'];
      const inputTokens = estimateTokens(system + user);
      const outputTokens = estimateTokens(JSON.stringify(content));
      return reply
        .header('x-amzn-RequestId', randomUUID())
        .type('application/json')
        .send({
          output: { message: { role: 'assistant', content } },
          stopReason,
          usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
          metrics: { latencyMs: Date.now() - started + 1 },
        });
    },
  );
  app.setNotFoundHandler((_request, reply) =>
    awsError(reply, 404, 'UnknownOperationException', 'Unknown operation'),
  );

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    region,
    accessKeyId,
    secretAccessKey,
    models,
    tls: material,
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
