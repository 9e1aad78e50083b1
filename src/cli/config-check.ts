import { unmappedFields } from '../crm-fields.ts';
import { loadPolicy, logicalFieldsInUse, PolicyError, type Policy } from '../policy.ts';
import { loadSettings, SettingsError, type Settings } from '../settings.ts';

/**
 * Loads and validates settings and policy. On any problem prints one message naming every bad
 * variable or policy position (no stack trace) and exits non-zero: the process never half-starts.
 */
export async function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Promise<{ settings: Settings; policy: Policy }> {
  const variableProblems: string[] = [];
  const policyProblems: string[] = [];
  let settings: Settings | undefined;
  let policy: Policy | undefined;
  try {
    settings = loadSettings(env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    variableProblems.push(...err.problems);
  }
  try {
    policy = await loadPolicy(settings?.DRAFTBRIDGE_POLICY ?? env.DRAFTBRIDGE_POLICY ?? 'config/policy.yaml');
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    policyProblems.push(err.message);
  }
  if (policy) {
    // Checked even when other variables are invalid, so one run names every problem.
    const raw = { AZURE_OPENAI_ENDPOINT: env.AZURE_OPENAI_ENDPOINT || undefined, AZURE_OPENAI_REGION: env.AZURE_OPENAI_REGION || undefined };
    const deployment = [regionProblem(settings ?? raw, policy), settings ? fieldMapProblem(settings, policy) : undefined];
    variableProblems.push(...deployment.filter((p) => p !== undefined));
  }
  if (variableProblems.length > 0 || policyProblems.length > 0 || !settings || !policy) {
    const parts = [...(variableProblems.length > 0 ? [new SettingsError(variableProblems).message] : []), ...policyProblems];
    process.stderr.write(`draftbridge: ${parts.join('\n')}\n`);
    process.exit(1);
  }
  return { settings, policy };
}

/** Processing must stay in the EU: the Azure OpenAI region must be on the policy's allow-list. */
export function regionProblem(settings: Pick<Settings, 'AZURE_OPENAI_ENDPOINT' | 'AZURE_OPENAI_REGION'>, policy: Policy): string | undefined {
  const allowed = policy.llm.allowedRegions.map((r) => r.toLowerCase());
  if (settings.AZURE_OPENAI_ENDPOINT && !settings.AZURE_OPENAI_REGION) {
    return 'AZURE_OPENAI_REGION: is required when AZURE_OPENAI_ENDPOINT is set (it must be one of the policy allowedRegions)';
  }
  if (settings.AZURE_OPENAI_REGION && !allowed.includes(settings.AZURE_OPENAI_REGION.toLowerCase())) {
    return `AZURE_OPENAI_REGION: "${settings.AZURE_OPENAI_REGION}" is not on the policy's allowedRegions (${policy.llm.allowedRegions.join(', ')})`;
  }
  return undefined;
}

/** Every logical field the policy uses must have a name in the deployment's CRM. */
export function fieldMapProblem(settings: Settings, policy: Policy): string | undefined {
  const missing = unmappedFields(settings.DRAFTBRIDGE_CRM, policy.crm.fields, logicalFieldsInUse(policy));
  if (missing.length === 0) return undefined;
  return `DRAFTBRIDGE_CRM: ${settings.DRAFTBRIDGE_CRM} has no field for ${missing.join(', ')} (map them under crm.fields.${settings.DRAFTBRIDGE_CRM} in the policy)`;
}
