import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseImageTag } from '../harness/providers/docker/base-image.js';
import { LABEL } from '../harness/providers/docker/labels.js';
import { bootId } from '../harness/providers/docker/owner.js';
import { DockerProvider } from '../harness/providers/docker/docker-provider.js';
import type { RunResult } from '../harness/results/schema.js';
import { processStartTime } from '../harness/util/process-identity.js';
import { bootgate, printedRun, vmCount, type CliResult } from './cli-helpers.js';

/**
 * The Docker provider for real: dockerd (scripts/setup.sh starts one), the base image built on
 * first use, the quickstart's two cells each in containers, the verdicts the QEMU provider gives
 * (test/quickstart.int.test.ts: 290 passes, 291 boot-loops in sensor_parse_channel), and no
 * container left afterwards. Then the reaper, on containers whose harness is gone or alive.
 */
const docker = new Docker();
const reachable = await docker.ping().then(
  () => true,
  () => false,
);
if (!reachable) console.warn('docker-provider.int.test: skipped: dockerd does not answer (scripts/setup.sh starts one)');

const labelled = async (label: string) => docker.listContainers({ all: true, filters: { label: [label] } });

describe.skipIf(!reachable)('the docker provider, for real', () => {
  let r: CliResult;
  let run: RunResult;
  beforeAll(async () => {
    const results = mkdtempSync(join(tmpdir(), 'bootgate-docker-'));
    r = await bootgate(['run', 'suites/quickstart.yaml', '--provider', 'docker', '--results', results, '--reporter', 'plain'], { env: { CI: 'true' } });
    run = printedRun(r);
  });

  it('runs the quickstart in containers with the QEMU provider\'s verdicts, and leaves no container', async () => {
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    expect(run.host.provider).toBe('docker');
    expect(run.host.accel).toMatch(/QEMU in Docker containers/);
    expect(run.versions.dockerImage).toBe(baseImageTag());
    const good = run.cells.find((c) => c.content.version === '290')!;
    const bad = run.cells.find((c) => c.content.version === '291')!;
    expect(good.verdict, good.reason).toBe('pass');
    expect(good.cycles.every((c) => c.booted && c.health?.ok)).toBe(true);
    // The shared baseline was saved inside a container and restored into others.
    expect(good.baselineFrom?.id).toBe('debian-6.1-generic');
    expect(bad.verdict).toBe('fail');
    expect(bad.bootLoop).toBe(true);
    for (const c of bad.cycles) expect(c.crash).toMatchObject({ class: 'null-deref', function: 'sensor_parse_channel', module: 'sensor' });
    expect(await labelled(`${LABEL.run}=${run.id}`)).toEqual([]);
    expect(vmCount(run.id)).toBe(0);
  });

  describe('the reaper', () => {
    const made: string[] = [];
    const sleeper = async (labels: Record<string, string>) => {
      const c = await docker.createContainer({ Image: baseImageTag(), Entrypoint: ['/usr/bin/sleep'], Cmd: ['300'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
      made.push(c.id);
      await c.start();
      return c.id;
    };
    afterAll(async () => {
      for (const id of made) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    });

    it('removes containers whose harness is gone (dead pid, earlier boot), keeps a live harness\'s and other hosts\'', async () => {
      const here = { [LABEL.marker]: '1', [LABEL.run]: 'reaper-test', [LABEL.host]: hostname(), [LABEL.bootId]: await bootId() };
      const self = { [LABEL.pid]: String(process.pid), [LABEL.pidStart]: (await processStartTime(process.pid))! };
      const deadPid = await sleeper({ ...here, ...self, [LABEL.pidStart]: '1', [LABEL.machine]: 'dead-pid' });
      const oldBoot = await sleeper({ ...here, ...self, [LABEL.bootId]: 'an-earlier-boot', [LABEL.machine]: 'old-boot' });
      const alive = await sleeper({ ...here, ...self, [LABEL.machine]: 'alive' });
      const elsewhere = await sleeper({ ...here, [LABEL.pid]: '1', [LABEL.pidStart]: '1', [LABEL.host]: `${hostname()}-other`, [LABEL.machine]: 'elsewhere' });
      const lines: string[] = [];
      await new DockerProvider().prepare((l) => lines.push(l));
      const left = (await labelled(`${LABEL.run}=reaper-test`)).map((c) => c.Id);
      expect(left).not.toContain(deadPid);
      expect(left).not.toContain(oldBoot);
      expect(left).toContain(alive);
      expect(left).toContain(elsewhere);
      expect(lines.join('\n')).toMatch(/leftover containers of runs whose harness died \(reaper-test\): 2 removed/);
    });
  });
});

describe.skipIf(!reachable)('the docker provider and its daemon', () => {
  it('says dockerd does not answer as a lab error (exit 3), no stack trace', async () => {
    const e = await bootgate(['run', 'suites/quickstart.yaml', '--provider', 'docker', '--results', mkdtempSync(join(tmpdir(), 'bootgate-docker-'))], { env: { CI: 'true', DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(e.code, e.stderr).toBe(3);
    expect(e.stderr).toMatch(/lab error: the Docker daemon does not answer at unix:\/\/\/nonexistent\/docker.sock: is dockerd running\? scripts\/setup.sh starts one/);
    expect(e.stderr).not.toMatch(/\n\s+at /);
  });

  it('bootgate doctor says dockerd answers and that no bootgate container is left over', async () => {
    const d = await bootgate(['doctor']);
    expect(d.stdout).toMatch(/^ok {6}dockerd \S+ answers \(provider docker\)$/m);
    expect(d.stdout).toMatch(/^ok {6}no leftover bootgate containers$/m);
  });
});
