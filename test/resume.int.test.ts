import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSchema } from '../harness/results/schema.js';
import { BIN, ROOT, bootgate, vmCount } from './cli-helpers.js';


let finishedRun: string | undefined;

describe('kill -9 of the harness, then --resume: the run an uninterrupted harness would give', () => {
  it('keeps the cell that finished, reruns the one that did not, counts nothing twice', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-resume-'));
    // One cell at a time, so that the kill falls after the first cell and inside the second.
    const child = spawn(process.execPath, [BIN, 'run', 'suites/quickstart.yaml', '-j', '1', '--reporter', 'plain', '--results', results], { cwd: ROOT });
    let err = '';
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // The second cell's first agent boot has ended: mid-cell, VMs up, journal half-written for it.
      if (/content-291: agent 1 /.test(err) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    await closed;
    expect(child.signalCode, err.slice(-2000)).toBe('SIGKILL');
    const runId = readdirSync(results)[0]!;
    const before = runSchema.parse(JSON.parse(readFileSync(join(results, runId, 'run.json'), 'utf8')));
    expect(before.status).toBe('running');
    const first = before.cells.find((c) => c.status === 'done')!;
    expect(first.content.version).toBe('290');
    for (let i = 0; i < 50 && vmCount(runId) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(vmCount(runId)).toBe(0);

    const r = await bootgate(['run', 'suites/quickstart.yaml', '--resume', 'latest', '--results', results, '--reporter', 'plain']);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    expect(r.stderr).toMatch(/resumed: 1 finished before, kept/);
    const run = runSchema.parse(JSON.parse(readFileSync(r.stdout.trim().split('\n').at(-1)!, 'utf8')));
    expect(run.id).toBe(runId);
    expect(run.status).toBe('finished');
    expect(run.cells.map((c) => [c.content.version, c.verdict])).toEqual([['290', 'pass'], ['291', 'fail']]);
    // The finished cell is kept as it was; the other ran once, from its start.
    expect(run.cells[0]).toEqual(first);
    const second = run.cells[1]!;
    expect(second.bootLoop).toBe(true);
    expect(second.baseline).toHaveLength(1);
    expect(second.cycles.map((c) => c.index)).toEqual([1, 2]);
    expect(run.crashes.reduce((n, g) => n + g.count, 0)).toBe(2);
    expect(readFileSync(join(results, runId, 'gate.json'), 'utf8')).toMatch(/"verdict": "fail"/);
    const journal = readFileSync(join(results, runId, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(journal.filter((e) => e.type === 'cell')).toHaveLength(2);
    expect(journal.filter((e) => e.type === 'resume')).toHaveLength(1);
    expect(journal.at(-1)!.type).toBe('end');
    expect(vmCount(runId)).toBe(0);

    finishedRun = join(results, runId);
    const again = await bootgate(['run', '--resume', join(results, runId)]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/this run finished: there is nothing to resume/);
  });

  it('refuses what cannot be resumed in one line (exit 2), and drops a torn last line, saying so', async () => {
    expect(finishedRun, 'the run above').toBeDefined();
    const base = mkdtempSync(join(tmpdir(), 'bootgate-resume-bad-'));
    const copy = (name: string, edit: (lines: string[]) => string) => {
      const d = join(base, name);
      cpSync(finishedRun!, d, { recursive: true });
      const lines = readFileSync(join(d, 'journal.ndjson'), 'utf8').trim().split('\n');
      writeFileSync(join(d, 'journal.ndjson'), edit(lines));
      return d;
    };
    const notARun = join(base, 'empty');
    cpSync(join(ROOT, 'suites'), notARun, { recursive: true });
    const corrupt = copy('corrupt', (l) => [l[0], '{"type":"cycle","cell":', ...l.slice(2)].join('\n') + '\n');
    // Killed after its last cell was journaled, before the end line, in the middle of a write.
    const torn = copy('torn', (l) => l.slice(0, -1).join('\n') + '\n{"type":"cyc');
    const sleeper = spawn('sleep', ['60']);
    const locked = copy('locked', (l) => l.slice(0, -1).join('\n') + '\n');
    const start = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    writeFileSync(join(locked, 'lock'), `${sleeper.pid} ${start}\n`);
    try {
      for (const [dir, msg] of [
        [notARun, /no journal.ndjson: not a run folder/],
        [join(base, 'nowhere'), /no such run folder/],
        [corrupt, /journal.ndjson:2: line 2 is not a journal entry/],
        [locked, new RegExp(`in use by another bootgate \\(pid ${sleeper.pid}\\)`)],
      ] as const) {
        const r = await bootgate(['run', '--resume', dir]);
        expect(r.code, `${dir}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(msg);
      }
    } finally {
      sleeper.kill();
    }
    const r = await bootgate(['run', '--resume', torn, '--reporter', 'plain']);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    expect(r.stderr).toMatch(/the journal's last line was cut short by the kill and is dropped/);
    expect(r.stderr).toMatch(/resumed: 2 finished before, kept/);
    const run = runSchema.parse(JSON.parse(readFileSync(join(torn, 'run.json'), 'utf8')));
    expect(run.status).toBe('finished');
    expect(run.cells.map((c) => c.verdict)).toEqual(['pass', 'fail']);
  });
});
