import { z } from 'zod';
import { isoDateTime } from './iso-time.js';

/**
 * bootgate.rollout/v1: results/<rollout-id>/rollout.json, a staged rollout simulated over a
 * suite's matrix (`bootgate rollout SUITE`). Each content version goes out ring by ring; a ring is
 * a slice of the matrix (its images), booted as one run, and the next ring receives the content
 * only when that run passed the gate. Machines are simulated: each image stands for a weight of
 * machines in the fleet. Add optional fields freely; renaming or removing one is a new schema
 * version. schemas/rollout.schema.json is generated from this.
 */

/** passed: its run passed the gate, the next ring received the content; failed: the agent is at fault there; error: the lab failed; not-reached: the rollout stopped before it. */
export const ringStatusSchema = z.enum(['passed', 'failed', 'error', 'not-reached']);
export type RingStatus = z.infer<typeof ringStatusSchema>;

export const rolloutRingSchema = z.object({
  name: z.string().describe('The ring\'s name, from the suite (canary, early, broad, ...).'),
  images: z.array(z.object({ name: z.string(), machines: z.number().int().min(0) })).describe('The images new to this ring (earlier rings hold the others), each with the machines it stands for.'),
  machines: z.number().int().min(0).describe('Machines this ring stands for: the weights of its images, summed.'),
  soak: z.number().int().min(1).describe('Boot cycles per cell in this ring.'),
  status: ringStatusSchema.describe('passed: its run passed the gate (the next ring was promoted); failed: the agent is at fault (the rollout stopped here); error: the lab failed (stopped, inconclusive); not-reached: the rollout stopped before this ring.'),
  run: z.string().optional().describe('This ring\'s run folder, relative to the rollout folder; absent when not reached.'),
  reason: z.string().optional().describe('The gate\'s first reason for this ring\'s verdict, one line.'),
});
export type RolloutRing = z.infer<typeof rolloutRingSchema>;

export const contentRolloutSchema = z.object({
  content: z.string().describe('The content version rolled out.'),
  outcome: z.enum(['promoted', 'stopped', 'error']).describe('promoted: every ring passed (the content reached the whole fleet); stopped: a ring failed the gate and no later ring received the content; error: the lab failed in a ring (stopped, inconclusive).'),
  stoppedAt: z.string().optional().describe('The ring that stopped the rollout (failed or error); absent when promoted.'),
  blastRadius: z.number().int().min(0).describe('Machines that received the content: every ring that ran, the one that stopped it included.'),
  spared: z.number().int().min(0).describe('Machines of the rings never reached: what a rollout to everyone at once would also have put at risk.'),
  reason: z.string().describe('One line: how far the content went and why it stopped.'),
  rings: z.array(rolloutRingSchema),
});
export type ContentRollout = z.infer<typeof contentRolloutSchema>;

export const rolloutSchema = z.object({
  schema: z.literal('bootgate.rollout/v1'),
  id: z.string().describe('The rollout\'s folder name.'),
  suite: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  startedAt: isoDateTime(),
  endedAt: isoDateTime().optional(),
  verdict: z.enum(['pass', 'fail', 'error']).describe('pass: every content version reached the last ring; fail: a ring failed the gate for some content (the agent is at fault); error: the lab failed in a ring, or the rollout was interrupted.'),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
  fleet: z.number().int().min(0).describe('Machines the whole fleet stands for: every ring\'s, summed.'),
  contents: z.array(contentRolloutSchema).describe('One rollout per content version, in the order they went out.'),
});
export type RolloutResult = z.infer<typeof rolloutSchema>;
