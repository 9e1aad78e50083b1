import { unmappedFields } from '../crm-fields.ts';
import { loadPolicy, logicalFieldsInUse, PolicyError, type Policy } from '../policy.ts';
import { loadSettings, SettingsError, type Settings } from '../settings.ts';

/**
 * Loads and validates settings and policy. On any problem prints one message naming every bad
 * variable or policy position (no stack trace) and exits non-zero: the process never half-starts.
 */
export async function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Promise<{ settings: Settings; policy: Policy }> {
  const problems: string[] = [];
  let settings: Settings | undefined;
  let policy: Policy | undefined;
  try {
    settings = loadSettings(env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    problems.push(err.message);
  }
  try {
    policy = await loadPolicy(settings?.DRAFTBRIDGE_POLICY ?? env.DRAFTBRIDGE_POLICY ?? 'config/policy.yaml');
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    problems.push(err.message);
  }
  if (settings && policy) {
    const deployment = [regionProblem(settings, policy), fieldMapProblem(settings, policy)].filter((p) => p !== undefined);
    if (deployment.length > 0) problems.push(`invalid configuration:\n${deployment.map((p) => `  - ${p}`).join('\n')}`);
  }
  if (problems.length > 0 || !settings || !policy) {
    process.stderr.write(`draftbridge: ${problems.join('\n')}\n`);
    process.exit(1);
  }
  return { settings, policy };
}

/** Processing must stay in the EU: the Azure OpenAI region must be on the policy's allow-list. */
export function regionProblem(settings: Settings, policy: Policy): string | undefined {
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
