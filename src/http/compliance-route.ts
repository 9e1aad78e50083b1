import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.ts';
import { renderBundle } from '../compliance/bundle.ts';
import { auditGeneration, complianceFacts, LANGUAGES, readPolicyFile } from '../compliance/generate.ts';
import { measuredFacts } from '../compliance/measured.ts';
import { parsePolicy } from '../policy.ts';

/**
 * GET /privacy/compliance (role dpo, registered with the other /privacy routes): the DPO's documents
 * for the policy in force. `?lang=de|en|both`, `?format=html|md|json` (default: HTML for a browser,
 * JSON otherwise). Every generation is audited as `compliance.generated`.
 */
const Query = z.object({
  lang: z.enum(['de', 'en', 'both']).default('both'),
  format: z.enum(['html', 'md', 'json']).optional(),
});

export function complianceHandler(ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const query = Query.safeParse(request.query);
    if (!query.success)
      return reply
        .code(400)
        .send({ error: 'lang is de, en or both; format is html, md or json', code: 'bad_query' });
    const file = ctx.settings.DRAFTBRIDGE_POLICY;
    const policyFile = await readPolicyFile(file).catch(() => undefined);
    if (!policyFile)
      return reply
        .code(503)
        .send({ error: `cannot read the policy file ${file}`, code: 'policy_unreadable' });
    // The documents state this file's hash, so it must be the policy this process runs.
    if (!samePolicy(policyFile.text, file, ctx)) {
      return reply.code(409).send({
        error: `${file} changed since the service started: restart it, then generate the documents for the policy in force`,
        code: 'policy_changed',
      });
    }
    const measured = await measuredFacts({
      redis: ctx.redis,
      audit: ctx.audit,
      prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX,
    });
    const facts = complianceFacts(ctx.policy, ctx.settings, policyFile, measured);
    const langs = LANGUAGES[query.data.lang];
    const bundle = renderBundle(facts, langs);
    const format =
      query.data.format ?? ((request.headers.accept ?? '').includes('text/html') ? 'html' : 'json');
    await auditGeneration(ctx.audit, request.caller?.actor ?? 'unknown', facts, {
      documents: bundle.documents.length,
      languages: langs,
      format,
    });
    reply.header('cache-control', 'no-store');
    if (format === 'html') {
      return reply
        .type('text/html; charset=utf-8')
        .header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .send(bundle.html);
    }
    if (format === 'md')
      return reply.type('text/markdown; charset=utf-8').send([...bundle.markdown.values()].join('\n---\n\n'));
    return {
      generatedAt: facts.generatedAt,
      policySha256: facts.config.policySha256,
      config: facts.config,
      measured: facts.measured,
      documents: bundle.documents.map((d) => ({
        id: d.id,
        lang: d.lang,
        title: d.title,
        markdown: bundle.markdown.get(`${d.id}.${d.lang}.md`),
      })),
    };
  };
}

function samePolicy(text: Buffer, file: string, ctx: AppContext): boolean {
  try {
    return JSON.stringify(parsePolicy(text.toString('utf8'), file)) === JSON.stringify(ctx.policy);
  } catch {
    return false;
  }
}
