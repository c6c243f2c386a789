import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootgate, printedRun } from './cli-helpers.js';

/** Two agents in one suite, side by side: the module boot-loops on 291, the eBPF program is refused and the machine boots. */
describe('ebpf-vs-kmod, for real', () => {
  it('the same bad content: a boot loop for the module, a verifier refusal for eBPF', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-evk-'));
    const r = await bootgate(['run', 'suites/ebpf-vs-kmod.yaml', '--results', results, '--reporter', 'markdown']);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    const run = printedRun(r);
    const table: string[] = [];
    for (const c of run.cells) {
      table.push(`| ${c.image.name} | ${c.agent.name} ${c.agent.build} | ${c.content.version} | ${c.verdict} | ${c.reason} |`);
      if (c.content.version === '290') {
        expect(c.verdict, c.id).toBe('pass');
      } else if (c.agent.kind === 'linux-kmod') {
        expect(c).toMatchObject({ verdict: 'fail', bootLoop: true });
        expect(c.cycles[0]!.crash?.title).toBe('BUG: kernel NULL pointer dereference in sensor_parse_channel');
      } else {
        expect(c.verdict).toBe('fail');
        expect(c.bootLoop).toBeFalsy();
        for (const cy of c.cycles) {
          expect(cy.booted).toBe(true);
          expect(cy.crash).toBeUndefined();
          expect(cy.health?.output).toMatch(/verifier rejected the program/);
        }
      }
    }
    // The Markdown summary puts the two agents in adjacent columns of one matrix.
    expect(readFileSync(join(results, run.id, 'summary.md'), 'utf8')).toMatch(/\| image \| sensor 2\.1\.0 \/ content 290 \| sensor 2\.1\.0 \/ content 291 \| sensor-ebpf 2\.1\.0 \/ content 290 \| sensor-ebpf 2\.1\.0 \/ content 291 \|/);
    console.log(`| image | agent | content | verdict | reason |\n|---|---|---|---|---|\n${table.join('\n')}`);
  });
});
