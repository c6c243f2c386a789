import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Crash classes shared by every OS and source; a parser maps what it sees onto one of these. */
export const CRASH_CLASSES = [
  'null-deref',
  'paging-fault',
  'general-protection',
  'bug',
  'panic',
  'warning',
  'kasan',
  'kmsan',
  'kfence',
  'ubsan',
  'lockdep',
  'soft-lockup',
  'hard-lockup',
  'hung-task',
  'rcu-stall',
  'divide-error',
  'double-fault',
  'invalid-opcode',
  'stack-corruption',
  'memory-leak',
  'bugcheck',
  'boot-timeout',
  'console-silence',
  'guest-panic',
  'unknown',
] as const;
export type CrashClass = (typeof CRASH_CLASSES)[number];

export const crashRecordSchema = z.object({
  os: z.enum(['linux', 'windows']),
  /** Where the evidence came from: console, qmp, hyperv-crash, event-log, dump, timeout. */
  source: z.enum(['console', 'qmp', 'pvpanic', 'hyperv-crash', 'event-log', 'dump', 'timeout']),
  class: z.enum(CRASH_CLASSES),
  title: z.string(),
  /** Guilty module (Linux: `[module]` of the guilty frame; Windows: the driver file). */
  module: z.string().optional(),
  function: z.string().optional(),
  tainted: z.string().optional(),
  /** Windows bugcheck code as 0x%08X, its name and four parameters (hex strings: they exceed 2^53). */
  code: z.string().optional(),
  name: z.string().optional(),
  params: z.array(z.string()).optional(),
  /** sha256 of the normalized title: equal for the same bug on any boot. */
  signature: z.string(),
  corrupted: z.boolean().optional(),
  excerpt: z.string().optional(),
});
export type CrashRecord = z.infer<typeof crashRecordSchema>;

export function signatureOf(title: string): string {
  return createHash('sha256').update(title.trim()).digest('hex');
}
