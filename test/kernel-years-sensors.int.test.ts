import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyVerifierLog } from '../harness/agents/linux-ebpf/verifier-refusal.js';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * ebpf-vs-kmod over Debian 11's 5.10, Debian 13's 6.12 and unstable's newest kernel: the module
 * (built per kernel in a container of its suite) passes 290 and boot-loops on 291 everywhere; the
 * eBPF program meets each kernel's own verifier: refused on 291 everywhere. On 5.10 the helper
 * bpf_strncmp (id 182, Linux 5.17) is not there: the loader falls back to its compat program, which
 * runs 290 in reduced functionality and is refused on 291 for the content: the agent's fail.
 */
describe('kernels across five years, with both sensors', () => {
  it('the verdicts per kernel, with the verifier message of every refusal', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-years-'));
    const r = await bootgate(['run', 'suites/kernel-years.yaml', '--results', results]);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const run = printedRun(r);
    expect(run.cells).toHaveLength(12);
    const table: string[] = [];
    for (const c of run.cells) {
      const verifier = c.cycles[0]?.health?.output?.split('\n').filter((l) => /verifier: (invalid|R\d)/.test(l)).at(-1) ?? '';
      table.push(`| ${c.image.name} | ${c.image.kernelRelease} | ${c.agent.name} | ${c.content.version} | ${c.verdict} | ${verifier || c.reason} |`);
      const old = c.image.name.startsWith('debian-11-');
      if (c.agent.kind === 'linux-kmod') {
        if (c.content.version === '290') expect(c.verdict, c.id).toBe('pass');
        else {
          expect(c, c.id).toMatchObject({ verdict: 'fail', bootLoop: true });
          expect(c.cycles[0]!.crash?.title).toBe('BUG: kernel NULL pointer dereference in sensor_parse_channel');
        }
      } else if (c.content.version === '290' && !old) {
        expect(c.verdict, c.id).toBe('pass');
      } else {
        // Refused (or reduced), and the machine boots: the agent's fail, never a lab error.
        expect(c.verdict, c.id).toBe('fail');
        expect(c.bootLoop, c.id).toBeFalsy();
        for (const cy of c.cycles) {
          expect(cy.booted).toBe(true);
          expect(cy.crash).toBeUndefined();
        }
        const refusal = classifyVerifierLog(c.cycles.map((cy) => cy.health?.output ?? '').join('\n'));
        if (c.content.version === '291') {
          expect(c.cycles[0]!.health?.output).toMatch(/verifier rejected the program/);
          expect(refusal, c.id).toMatchObject({ kind: 'content', message: expect.stringMatching(/min value is outside of the allowed memory range/) });
        } else {
          expect(refusal, c.id).toMatchObject({ kind: 'missing-helper', message: 'invalid func unknown#182', helper: { name: 'bpf_strncmp' } });
        }
        // On 5.10 the fallback is recorded, and it is in the cell's reason (run.json).
        if (old) expect(refusal?.fallback, c.id).toBeTruthy();
        if (old && c.content.version === '290') expect(c.reason).toMatch(/reduced functionality \(sensor-compat\.bpf\.o/);
      }
    }
    console.log(`| image | kernel | agent | content | verdict | verifier or reason |\n|---|---|---|---|---|---|\n${table.join('\n')}`);
  }, 3_600_000);
});
