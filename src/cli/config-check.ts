import { unmappedFields } from '../crm-fields.ts';
import { llmResidencyProblems, llmSettingsProblems, type LlmSettings } from '../llm-residency.ts';
import { loadPolicy, logicalFieldsInUse, PolicyError, type Policy } from '../policy.ts';
import { loadSettings, SettingsError, type Settings } from '../settings.ts';

/**
 * Loads and validates settings and policy. On any problem prints one message naming every bad
 * variable or policy position (no stack trace) and exits non-zero: the process never half-starts.
 */
export async function loadConfigOrExit(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ settings: Settings; policy: Policy }> {
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
    // Residency is checked on the raw environment when the settings did not parse.
    const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v)) as LlmSettings;
    variableProblems.push(...llmResidencyProblems(settings ?? raw, policy));
    if (settings) variableProblems.push(...llmSettingsProblems(settings, policy));
    const fields = settings ? fieldMapProblem(settings, policy) : undefined;
    if (fields) variableProblems.push(fields);
  }
  if (variableProblems.length > 0 || policyProblems.length > 0 || !settings || !policy) {
    const parts = [
      ...(variableProblems.length > 0 ? [new SettingsError(variableProblems).message] : []),
      ...policyProblems,
    ];
    process.stderr.write(`draftbridge: ${parts.join('\n')}\n`);
    process.exit(1);
  }
  return { settings, policy };
}

/** Processing must stay in the EU: the first region or residency problem of the LLM routes (src/llm-residency.ts). */
export function regionProblem(settings: LlmSettings, policy: Policy): string | undefined {
  return llmResidencyProblems(settings, policy)[0];
}

/** Every logical field the policy uses must have a name in the deployment's CRM. */
export function fieldMapProblem(settings: Settings, policy: Policy): string | undefined {
  const missing = unmappedFields(settings.DRAFTBRIDGE_CRM, policy.crm.fields, logicalFieldsInUse(policy));
  if (missing.length === 0) return undefined;
  return `DRAFTBRIDGE_CRM: ${settings.DRAFTBRIDGE_CRM} has no field for ${missing.join(', ')} (map them under crm.fields.${settings.DRAFTBRIDGE_CRM} in the policy)`;
}
