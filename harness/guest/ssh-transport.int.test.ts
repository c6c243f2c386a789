import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey, ServerChannel } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureLabKey, type LabKey } from './lab-keys.js';
import {
  ConnectionLostError,
  HostKeyMismatchError,
  SshConnectError,
  SshTransport,
  keyFingerprint,
  parseOpenSshPublicKey,
  waitForSsh,
  type SshConnectOptions,
} from './ssh-transport.js';
import { rejection } from '../../test/rejection.js';

const { Server, utils } = ssh2;
type SshServer = InstanceType<typeof Server>;

/**
 * An in-process SSH server on 127.0.0.1 that accepts only the lab key and runs commands with a
 * real `sh -c` in a temp dir (so quoting and `cat > path` are exercised for real), except for a few
 * fixed commands that misbehave the way guests do:
 *   drop-connection  prints `partial`, then the socket is destroyed (guest rebooted mid-command)
 *   exit-then-drop   prints `done`, sends exit status 0, then the socket is destroyed (no channel close)
 *   no-status        prints `x` and closes the channel without any exit status
 */
interface TestServer {
  port: number;
  /** Every exec command received, in order. */
  execs: string[];
  /** Commands whose channel the client closed before they exited. */
  channelClosedEarly: string[];
  /** Exit of every spawned shell: code or signal. */
  exits: Array<{ cmd: string; code: number | null; signal: NodeJS.Signals | null }>;
  authRejected: number;
  connections: number;
  close(): Promise<void>;
}

let workDir: string;
let labKey: LabKey;
let hostKeyPriv: string;
let hostKeyLine: string; // 'ssh-ed25519 AAAA...'
let otherHostKeyLine: string;

const servers: TestServer[] = [];
const transports: SshTransport[] = [];
const rawServers: net.Server[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'bootgate-ssh-'));
  labKey = await ensureLabKey(join(workDir, 'lab'));
  const hk = utils.generateKeyPairSync('ed25519');
  hostKeyPriv = hk.private;
  hostKeyLine = hk.public.trim().split(/\s+/).slice(0, 2).join(' ');
  otherHostKeyLine = utils.generateKeyPairSync('ed25519').public.trim();
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(rawServers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function parsed(key: string): ParsedKey {
  const k = utils.parseKey(key);
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? k[0]! : k;
}

function killGroup(c: ChildProcess): void {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

async function startServer(opts: { port?: number; cwd?: string } = {}): Promise<TestServer> {
  const allowed = parsed(labKey.publicKey);
  const cwd = opts.cwd ?? workDir;
  const conns = new Set<Connection>();
  const children = new Set<ChildProcess>();
  const state = { execs: [] as string[], channelClosedEarly: [] as string[], exits: [] as TestServer['exits'], authRejected: 0, connections: 0 };

  const server: SshServer = new Server({ hostKeys: [hostKeyPriv] }, (conn) => {
    state.connections++;
    conns.add(conn);
    conn.on('error', () => {});
    conn.on('close', () => conns.delete(conn));
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH())) {
        if (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      state.authRejected++;
      ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const stream: ServerChannel = accept();
          stream.on('error', () => {});
          const cmd = info.command;
          state.execs.push(cmd);
          const rawSocket = (conn as unknown as { _sock: net.Socket })._sock;
          if (cmd === 'drop-connection') {
            stream.write('partial\n');
            setTimeout(() => rawSocket.destroy(), 100);
            return;
          }
          if (cmd === 'exit-then-drop') {
            stream.write('done\n');
            stream.exit(0);
            setTimeout(() => rawSocket.destroy(), 100);
            return;
          }
          if (cmd === 'no-status') {
            stream.write('x');
            setTimeout(() => stream.close(), 50);
            return;
          }
          // Own process group, so the whole command (sh and its children) can be killed.
          const c = spawn('sh', ['-c', cmd], { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
          children.add(c);
          c.stdin!.on('error', () => {});
          stream.pipe(c.stdin!);
          c.stdout!.on('data', (d: Buffer) => stream.writable && stream.write(d));
          c.stderr!.on('data', (d: Buffer) => stream.writable && stream.stderr.write(d));
          // The client closed the channel (timeout/abort): like a guest's sshd, end the command.
          // (ssh2's Server drops "signal" requests once exec started, so the client's KILL request
          // cannot be observed here; the channel close is what this server acts on.)
          stream.on('close', () => {
            if (c.exitCode !== null || c.signalCode !== null) return;
            state.channelClosedEarly.push(cmd);
            killGroup(c);
          });
          c.on('exit', (code, signal) => {
            children.delete(c);
            state.exits.push({ cmd, code, signal });
          });
          c.on('close', (code, signal) => {
            if (!stream.writable) return;
            if (code !== null) stream.exit(code);
            else if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
            stream.end();
          });
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const ts: TestServer = {
    port,
    ...state,
    get authRejected() {
      return state.authRejected;
    },
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const c of children) killGroup(c);
      for (const c of conns) (c as unknown as { _sock: net.Socket })._sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  servers.push(ts);
  return ts;
}

function opts(port: number, extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return { host: '127.0.0.1', port, username: 'root', privateKey: labKey.privateKey, readyTimeoutMs: 5000, ...extra };
}

async function connect(port: number, extra: Partial<SshConnectOptions> = {}): Promise<SshTransport> {
  const t = await SshTransport.connect(opts(port, extra));
  transports.push(t);
  return t;
}

/** A port nothing listens on (bound, read, released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SshTransport: auth', () => {
  it('authenticates with the lab key', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    expect(t.connected).toBe(true);
    expect(t.hostKey).toBe(hostKeyLine);
  });

  it('is refused with another key, and that is not retryable', async () => {
    const srv = await startServer();
    const other = utils.generateKeyPairSync('ed25519').private;
    const e = await rejection(SshTransport.connect(opts(srv.port, { privateKey: other })));
    expect(e).toBeInstanceOf(SshConnectError);
    expect(e.code).toBe('SSH_CONNECT');
    expect(e.reason).toBe('auth');
    expect(e.retryable).toBe(false);
    expect(srv.authRejected).toBeGreaterThan(0);
  });

  it('wraps connection refused as SSH_CONNECT with the cause', async () => {
    const port = await freePort();
    const e = await rejection(SshTransport.connect(opts(port)));
    expect(e.code).toBe('SSH_CONNECT');
    expect(e.reason).toBe('refused');
    expect(e.retryable).toBe(true);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('aborts a connect through its signal', async () => {
    // A listener that accepts and never speaks: the handshake would hang until readyTimeout.
    const mute = net.createServer(() => {});
    rawServers.push(mute);
    const sockets: net.Socket[] = [];
    mute.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const e = await rejection(SshTransport.connect(opts((mute.address() as net.AddressInfo).port, { signal: ac.signal })));
    expect(e.code).toBe('ABORTED');
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const s of sockets) s.destroy();
  });
});

describe('SshTransport: host key pinning', () => {
  it('connects when the expected key matches (with or without comment)', async () => {
    const srv = await startServer();
    await connect(srv.port, { hostKey: { expected: hostKeyLine } });
    await connect(srv.port, { hostKey: { expected: `${hostKeyLine} root@guest` } });
  });

  it('fails with HOST_KEY_MISMATCH on another key', async () => {
    const srv = await startServer();
    const seen: string[] = [];
    const e = await rejection(
      SshTransport.connect(opts(srv.port, { hostKey: { expected: otherHostKeyLine, onFirstSeen: (k) => seen.push(k) } })),
    );
    expect(e).toBeInstanceOf(HostKeyMismatchError);
    expect(e.code).toBe('HOST_KEY_MISMATCH');
    expect(e.actual).toBe(hostKeyLine);
    expect(e.actualFingerprint).toBe(keyFingerprint(parseOpenSshPublicKey(hostKeyLine).blob));
    expect(e.expectedFingerprint).not.toBe(e.actualFingerprint);
    expect(seen).toEqual([]); // first-seen is only for unpinned connects
  });

  it('rejects an expected value that is not a key line', async () => {
    const srv = await startServer();
    const e = await rejection(SshTransport.connect(opts(srv.port, { hostKey: { expected: 'ssh-ed25519 not-base64!' } })));
    expect(e.code).toBe('HOST_KEY_INVALID');
  });

  it('reports the key on first sight, as an OpenSSH line that pins the next connect', async () => {
    const srv = await startServer();
    const seen: string[] = [];
    await connect(srv.port, { hostKey: { onFirstSeen: (k) => seen.push(k) } });
    expect(seen).toEqual([hostKeyLine]);
    await connect(srv.port, { hostKey: { expected: seen[0]! } });
  });

  it('does not report the key of a server that refused the lab key', async () => {
    const srv = await startServer();
    const seen: string[] = [];
    const other = utils.generateKeyPairSync('ed25519').private;
    await rejection(SshTransport.connect(opts(srv.port, { privateKey: other, hostKey: { onFirstSeen: (k) => seen.push(k) } })));
    expect(seen).toEqual([]);
  });
});

describe('SshTransport: exec', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const r = await t.exec('echo out; echo err >&2; exit 3');
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await t.exec('printf "%s" "héllo"')).toEqual({ code: 0, stdout: 'héllo', stderr: '' });
  });

  it('feeds stdin, and gives EOF when there is none', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    expect((await t.exec('tr a-z A-Z', { stdin: 'hello' })).stdout).toBe('HELLO');
    expect((await t.exec('wc -c', { stdin: randomBytes(300_000) })).stdout.trim()).toBe('300000');
    expect(await t.exec('cat')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reports death by signal', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const r = await t.exec('kill -TERM $$');
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
  });

  it('times out with EXEC_TIMEOUT, kills the command, and stays usable', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const t0 = Date.now();
    const e = await rejection(t.exec('echo started; sleep 30', { timeoutMs: 400 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('EXEC_TIMEOUT');
    expect(e.stdout).toBe('started\n');
    await until(() => srv.exits.some((x) => x.cmd.includes('sleep 30')));
    expect(srv.exits.find((x) => x.cmd.includes('sleep 30'))!.signal).toBe('SIGKILL');
    expect(srv.channelClosedEarly).toContain('echo started; sleep 30');
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
  });

  it('aborts through its signal', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const e = await rejection(t.exec('sleep 30', { signal: ac.signal }));
    expect(e.code).toBe('ABORTED');
    await until(() => srv.exits.some((x) => x.cmd === 'sleep 30')).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify({ closed: srv.channelClosedEarly, exits: srv.exits, execs: srv.execs })}`);
    });
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
  });

  it('rejects with CONNECTION_LOST when the connection drops mid-command (reboot)', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const e = await rejection(t.exec('drop-connection'));
    expect(e).toBeInstanceOf(ConnectionLostError);
    expect(e.code).toBe('CONNECTION_LOST');
    expect(e.stdout).toBe('partial\n');
    expect(t.connected).toBe(false);
    const again = await rejection(t.exec('echo hi'));
    expect(again.code).toBe('CONNECTION_LOST');
    expect(srv.execs).toEqual(['drop-connection']);
  });

  it('keeps the exit status when it arrived before the drop', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    expect(await t.exec('exit-then-drop')).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
  });

  it('returns code null without signal when a live server reports no status', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    expect(await t.exec('no-status')).toEqual({ code: null, stdout: 'x', stderr: '' });
    expect(t.connected).toBe(true);
  });

  it('notices a guest that stops answering through keepalive', async () => {
    const srv = await startServer();
    // A forward that can be frozen: bytes stop flowing both ways, sockets stay open (a hung guest).
    let frozen = false;
    const pairs: net.Socket[] = [];
    const proxy = net.createServer((down) => {
      const up = net.connect(srv.port, '127.0.0.1');
      pairs.push(down, up);
      down.on('error', () => {});
      up.on('error', () => {});
      down.on('data', (d) => !frozen && up.write(d));
      up.on('data', (d) => !frozen && down.write(d));
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    rawServers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const t = await connect((proxy.address() as net.AddressInfo).port, { keepaliveIntervalMs: 100, keepaliveCountMax: 2 });
    const p = t.exec('echo before; sleep 30');
    await until(() => srv.execs.includes('echo before; sleep 30'));
    frozen = true;
    const t0 = Date.now();
    const e = await rejection(p);
    expect(e.code).toBe('CONNECTION_LOST');
    expect(String((e.cause as Error)?.message)).toMatch(/keepalive/i);
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const s of pairs) s.destroy();
  });

  it('rejects exec after close()', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    await t.close();
    await t.close();
    expect((await rejection(t.exec('echo hi'))).code).toBe('CONNECTION_LOST');
  });
});

describe('SshTransport: upload', () => {
  let guestDir: string;
  beforeAll(async () => {
    guestDir = await mkdtemp(join(workDir, 'guest-'));
  });

  it('uploads data via stdin to a path that needs quoting, and sets the mode', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const dir = join(guestDir, "dir with space and 'quote'");
    expect((await t.exec(`mkdir -p '${dir.replace(/'/g, `'\\''`)}'`)).code).toBe(0);
    const target = join(dir, "it's $HOME `x`.conf");
    await t.uploadData('key=value\n', target, { mode: 0o640 });
    expect(await readFile(target, 'utf8')).toBe('key=value\n');
    expect((await stat(target)).mode & 0o7777).toBe(0o640);
    // Overwrites, and the command the guest saw was cat > ... && chmod ...
    await t.uploadData(Buffer.from('v2'), target, { mode: 0o755 });
    expect(await readFile(target, 'utf8')).toBe('v2');
    expect((await stat(target)).mode & 0o7777).toBe(0o755);
    expect(srv.execs.at(-1)).toMatch(/^cat > '.*' && chmod 0755 '.*'$/);
  });

  it('uploads a local file byte for byte', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const local = join(workDir, 'agent.bin');
    const data = randomBytes(1 << 20);
    await writeFile(local, data);
    const target = join(guestDir, 'agent.bin');
    await t.upload(local, target, { mode: 0o700 });
    expect((await readFile(target)).equals(data)).toBe(true);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
  });

  it('handles a relative path starting with a dash', async () => {
    const srv = await startServer({ cwd: guestDir });
    const t = await connect(srv.port);
    await t.uploadData('dash', '-n', { mode: 0o600 });
    expect(await readFile(join(guestDir, '-n'), 'utf8')).toBe('dash');
  });

  it('fails with UPLOAD_FAILED when the guest cannot write', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const e = await rejection(t.uploadData('x', join(guestDir, 'missing-dir', 'f')));
    expect(e.code).toBe('UPLOAD_FAILED');
    expect(e.message).toMatch(/exit [1-9]/);
  });

  it('fails with UPLOAD_SOURCE for a missing local file, before touching the guest', async () => {
    const srv = await startServer();
    const t = await connect(srv.port);
    const e = await rejection(t.upload(join(workDir, 'nope'), join(guestDir, 'nope')));
    expect(e.code).toBe('UPLOAD_SOURCE');
    expect(srv.execs).toEqual([]);
  });
});

describe('waitForSsh', () => {
  it('succeeds once sshd listens late (refused, then accepted-and-closed like a QEMU forward)', async () => {
    const port = await freePort();
    const reasons: string[] = [];
    const p = waitForSsh({ ...opts(port), deadlineMs: 15_000, onRetry: (_n, e) => reasons.push(e.reason) });
    // Phase 1 (0-600 ms): nothing listens → refused.
    await new Promise((r) => setTimeout(r, 600));
    // Phase 2 (600-1400 ms): the forward accepts and drops the connection, as slirp does before the guest listens.
    const fwd = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => fwd.listen(port, '127.0.0.1', () => r()));
    await new Promise((r) => setTimeout(r, 800));
    await new Promise<void>((r) => fwd.close(() => r()));
    // Phase 3: sshd is up.
    const srv = await startServer({ port });
    const t = await p;
    transports.push(t);
    expect((await t.exec('echo ready')).stdout).toBe('ready\n');
    expect(reasons).toContain('refused');
    expect(reasons.some((r) => r === 'closed' || r === 'reset')).toBe(true);
    expect(srv.connections).toBe(1);
  });

  it('does not retry a host key mismatch', async () => {
    const srv = await startServer();
    const t0 = Date.now();
    const e = await rejection(waitForSsh({ ...opts(srv.port, { hostKey: { expected: otherHostKeyLine } }), deadlineMs: 10_000 }));
    expect(e.code).toBe('HOST_KEY_MISMATCH');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(srv.connections).toBe(1);
  });

  it('gives up at the deadline with SSH_CONNECT and the last failure as cause', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const e = await rejection(waitForSsh({ ...opts(port), deadlineMs: 1200 }));
    const elapsed = Date.now() - t0;
    expect(e).toBeInstanceOf(SshConnectError);
    expect(e.code).toBe('SSH_CONNECT');
    expect(e.attempts).toBeGreaterThan(2);
    expect((e.cause as SshConnectError).reason).toBe('refused');
    expect(elapsed).toBeGreaterThanOrEqual(1100);
    expect(elapsed).toBeLessThan(3000);
  });

  it('stops when aborted', async () => {
    const port = await freePort();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e = await rejection(waitForSsh({ ...opts(port), deadlineMs: 10_000, signal: ac.signal }));
    expect(e.code).toBe('ABORTED');
  });
});
