import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { errorMessage } from '../errors.ts';
import { issuePath } from '../issue-path.ts';
import { DEFAULT_SCHEDULING, loadPolicy, type SchedulingPolicy } from '../policy.ts';
import { loadSettings } from '../settings.ts';
import { answerOffer, answerReply, OfferQuestion, ReplyQuestion } from '../scheduling/checks.ts';
import { replyEngineFrom, type ReplyEngine } from './scheduling-engines.ts';

/**
 * `draftbridge scheduling offer|reply`: JSON Lines in, JSON Lines out, one result per input line
 * matched by `id` (DESIGN.md). A bad line answers `{"id", "error": {code, message}}` and the stream
 * goes on. Rules only, unless the policy's `eu` LLM route is configured (then both engines, and a
 * pick only where they agree).
 */
type Io = {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
};
const PROCESS_IO: Io = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
};

function lineError(line: string, code: string, message: string) {
  let id: unknown = null;
  try {
    id = (JSON.parse(line) as { id?: unknown }).id ?? null;
  } catch {
    // not JSON: no id to echo
  }
  return { id, error: { code, message } };
}

async function eachLine(io: Io, answer: (json: unknown, line: string) => Promise<object>): Promise<void> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let json: unknown;
    let out: object;
    try {
      json = JSON.parse(line);
      out = await answer(json, line);
    } catch (err) {
      out =
        json === undefined
          ? lineError(line, 'invalid_json', 'not valid JSON')
          : lineError(line, 'scheduling_failed', errorMessage(err));
    }
    if (!io.stdout.write(`${JSON.stringify(out)}\n`)) await new Promise((r) => io.stdout.once('drain', r));
  }
}

const shapeError = (line: string, issues: { path: PropertyKey[]; message: string }[]) =>
  lineError(line, 'invalid_input', issues.map((i) => `${issuePath(i.path)}: ${i.message}`).join('; '));

export async function runOffer(io: Io, policy: SchedulingPolicy): Promise<void> {
  await eachLine(io, async (json, line) => {
    const q = OfferQuestion.safeParse(json);
    if (!q.success) return shapeError(line, q.error.issues);
    const { id, slots, wishes } = answerOffer(q.data, policy);
    return { id, slots, wishes };
  });
}

export async function runReply(io: Io, engine: ReplyEngine | undefined): Promise<void> {
  await eachLine(io, async (json, line) => {
    const q = ReplyQuestion.safeParse(json);
    if (!q.success) return shapeError(line, q.error.issues);
    const rules = answerReply(q.data);
    const a = engine ? await engine.crossCheck(q.data, rules) : rules;
    return { id: q.data.id, choice: a.choice, counter: a.counter, kind: a.kind };
  });
}

type SchedulingSetup = { scheduling: SchedulingPolicy; engine?: ReplyEngine | undefined };

async function schedulingPolicy(io: Io): Promise<SchedulingSetup> {
  const settings = loadSettings({ DRAFTBRIDGE_SANDBOX: '1', DRAFTBRIDGE_POLICY: io.env.DRAFTBRIDGE_POLICY });
  try {
    const policy = await loadPolicy(settings.DRAFTBRIDGE_POLICY);
    const engine = await replyEngineFrom(io.env, policy, (line) => io.stderr.write(`${line}\n`));
    return { scheduling: policy.scheduling, engine };
  } catch (err) {
    io.stderr.write(`draftbridge: ${errorMessage(err)}; using the default scheduling rules\n`);
    return { scheduling: DEFAULT_SCHEDULING };
  }
}

/** Adds `scheduling offer` and `scheduling reply`; needs no credentials and no Redis. */
export function registerScheduling(program: Command, io: Io = PROCESS_IO): void {
  const scheduling = program
    .command('scheduling')
    .description("the contact's wishes and answers, checkable on JSON Lines");
  scheduling
    .command('offer')
    .description(
      'JSON Lines {"id","note","lang","now","zone","workingHours","busy","count","durationMinutes"} → {"id","slots","wishes"}',
    )
    .action(async () => runOffer(io, (await schedulingPolicy(io)).scheduling));
  scheduling
    .command('reply')
    .description('JSON Lines {"id","text","lang","now","zone","offered"} → {"id","choice","counter","kind"}')
    .action(async () => runReply(io, (await schedulingPolicy(io)).engine));
}
