import { Counter } from 'prom-client';
import { registry } from '../metrics.ts';

/** Each contact reply read, by what became of it (booked, call_me, other_sender, auto_reply, …). */
export const replyOutcomes = new Counter({
  name: 'draftbridge_reply_outcomes_total',
  help: 'Replies to offered slots by outcome (booked, counter_booked, call_me, decline, unclear, auto_reply, …)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
