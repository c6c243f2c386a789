import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun } from './cli-helpers.js';

/**
 * ebpf-vs-kmod over Debian 11's 5.10, Debian 13's 6.12 and unstable's newest kernel: the module
 * (built per kernel in a container of its suite) passes 290 and boot-loops on 291 everywhere; the
 * eBPF program meets each kernel's own verifier: refused on 291 everywhere, and on 5.10 refused on
 * every content, since the helper bpf_strncmp (id 182, Linux 5.17) is not there: the agent's fail.
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
        // Refused, and the machine boots: the agent's fail, never a lab error.
        expect(c.verdict, c.id).toBe('fail');
        expect(c.bootLoop, c.id).toBeFalsy();
        for (const cy of c.cycles) {
          expect(cy.booted).toBe(true);
          expect(cy.crash).toBeUndefined();
          expect(cy.health?.output).toMatch(/verifier rejected the program/);
        }
        expect(verifier, c.id).toMatch(old ? /invalid func unknown#182/ : /R1 min value is outside of the allowed memory range/);
      }
    }
    console.log(`| image | kernel | agent | content | verdict | verifier or reason |\n|---|---|---|---|---|---|\n${table.join('\n')}`);
  }, 3_600_000);
});
