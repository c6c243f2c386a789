import { z } from 'zod';

/**
 * A recovery drill (`recover:` in a suite): after a cell's boot loop, each recovery a customer
 * would try, on a copy of the crashed machine's disk, timed from that machine's first crash to
 * its first healthy boot. run.json keeps one record per cell (`cells[].recovery`).
 */

/**
 * module-blacklist: the operator adds module_blacklist=<module> to the boot entry (one boot; the
 * agent stays off). content-rollback: booted that way, the content is rolled back over SSH, and the
 * machine boots normally with the agent running again. agent-safe-mode: the boot entry gets the
 * agent's own safe-mode parameter instead (the agent runs, without content), then the same rollback
 * and normal boot. rescue-boot: the boot entry gets a rescue shell (init=/bin/sh on a full-disk
 * image), the operator removes the agent at the serial console, and the machine boots normally
 * without it. windows-safe-mode: a Windows driver removed in Safe Mode (bcdedit safeboot, reboot,
 * pnputil / sc.exe delete, bcdedit back, reboot); tested against a fake Windows only.
 */
export const RECOVERY_METHODS = ['module-blacklist', 'content-rollback', 'agent-safe-mode', 'rescue-boot', 'windows-safe-mode'] as const;
export const recoveryMethodSchema = z.enum(RECOVERY_METHODS);
export type RecoveryMethod = z.infer<typeof recoveryMethodSchema>;

export const recoveryStepSchema = z.object({
  what: z.string().describe('One step as the operator does it: the boot that crashed, a boot with an edited boot entry, a command over SSH, a normal boot.'),
  ok: z.boolean().describe('The step did what it was for: the crash boot crashed, a boot came up, a command succeeded.'),
  ms: z.number().describe('How long the step took, in milliseconds.'),
  consoleLog: z.string().optional().describe('The console log of a boot step, relative to the run folder.'),
  detail: z.string().optional().describe('What happened: the crash title, the health output, the error.'),
});

export const recoveryAttemptSchema = z.object({
  method: recoveryMethodSchema,
  recovered: z.boolean().describe('The machine came back: it booted to ready (and for content-rollback and agent-safe-mode, with the agent healthy again).'),
  agentRunning: z.boolean().describe('The agent passed its health check at the end: protected again, not only booted.'),
  ms: z.number().optional().describe('From the first crash of the drill\'s machine to its healthy boot, in milliseconds; absent when it did not recover.'),
  steps: z.array(recoveryStepSchema),
  error: z.string().optional().describe('Why the drill could not be carried out (the lab failed, the machine did not crash).'),
});
export type RecoveryAttempt = z.infer<typeof recoveryAttemptSchema>;

export const recoveryRecordSchema = z.object({
  trigger: z.literal('boot-loop').describe('What the drill followed: the cell\'s boot loop.'),
  content: z.string().optional().describe('The content version content-rollback installed.'),
  attempts: z.array(recoveryAttemptSchema),
});
export type RecoveryRecord = z.infer<typeof recoveryRecordSchema>;
