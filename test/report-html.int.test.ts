import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootgate } from './cli-helpers.js';
import { fixtureRun, TITLE } from './fixtures/report-run.js';

/** Debian's chromium, headless, in a fresh profile that is thrown away after. */
function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'bootgate-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  return new Promise((resolve, reject) => {
    execFile('chromium', [...flags, ...args], { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const hasChromium = (() => {
  try {
    execFileSync('chromium', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'bootgate-html-int-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report.html in headless Chromium', () => {
  it('needs Debian chromium (apt-get install -y chromium)', () => {
    expect(hasChromium, 'chromium is not installed: apt-get install -y chromium').toBe(true);
  });

  const runDir = join(dir, 'fixture-run');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(fixtureRun(), null, 2));

  it.runIf(hasChromium)('renders the grid and the crash table; no guest text becomes an element', async () => {
    const r = await bootgate(['report', runDir, '--reporter', 'html']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(runDir, 'report.html');
    const { stdout: dom } = await chromium(['--dump-dom', `file://${file}`]);

    // The grid: one coloured cell per image x build/content.
    const cells = [...dom.matchAll(/<td class="cell v-(\w+)" data-cell="([^"]+)" data-verdict="\w+">/g)].map((m) => `${m[2]}=${m[1]}`);
    expect(cells).toEqual([
      'debian-6.1-generic__sensor-2.1.0__content-290=pass',
      'debian-6.1-generic__sensor-2.1.0__content-291=fail',
      'debian-6.12-cloud__sensor-2.1.0__content-290=error',
      'debian-6.12-cloud__sensor-2.1.0__content-291=fail',
    ]);
    expect(dom).toContain(`<td class="crash-title"><strong>${TITLE}</strong>`);
    expect(dom.match(/<svg class="boot-chart"/g)).toHaveLength(4);

    // The hostile text is there, as text, and nothing it carried became an element.
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(dom).toContain('&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(dom).not.toMatch(/<script\b/i);
    expect(dom).not.toMatch(/<img\b/i);
    expect(dom).not.toMatch(/<textarea\b/i);
    expect(dom).not.toMatch(/<b>hook<\/b>/);
    expect(dom).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i); // no element with an event handler attribute
  });

  it.runIf(hasChromium)('the escaping holds without the Content-Security-Policy too', async () => {
    const file = join(runDir, 'report.html');
    const noCsp = join(runDir, 'report-no-csp.html');
    writeFileSync(noCsp, readFileSync(file, 'utf8').replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''));
    const { stdout: dom } = await chromium(['--dump-dom', `file://${noCsp}`]);
    expect(dom).not.toContain('Content-Security-Policy');
    expect(dom).not.toMatch(/<(script|img|textarea)\b/i);
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.runIf(hasChromium)('takes a screenshot (1280x1600)', async () => {
    const png = join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,1600', '--hide-scrollbars', `file://${join(runDir, 'report.html')}`]);
    expect(existsSync(png)).toBe(true);
    const b = readFileSync(png);
    expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([b.readUInt32BE(16), b.readUInt32BE(20)]).toEqual([1280, 1600]);
  });
});
