import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJsonBigSafe } from '../../util/json-bigsafe.js';
import { LabError, AbortedError } from '../../util/errors.js';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  /** Host time (ms since epoch) the event was read: QEMU's own timestamp is wall time too, but this is ours. */
  receivedAt: number;
}

export class QmpError extends LabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QMP', message, options);
  }
}

/**
 * A QMP client: greeting, `qmp_capabilities`, commands matched to replies by id, and events.
 * Events are 'event' emissions; nothing is delivered before capabilities are negotiated.
 */
export class QmpClient extends EventEmitter<{ event: [QmpEvent]; close: [] }> {
  private buf = '';
  private nextId = 1;
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private greeted?: (v: unknown) => void;
  private closed = false;

  private constructor(private readonly sock: Socket) {
    super();
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new QmpError('QMP connection closed'));
      this.pending.clear();
      this.emit('close');
    });
    sock.on('error', () => undefined);
  }

  /** Connect to QEMU's QMP socket, retrying while QEMU is still creating it. */
  static async connect(path: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<QmpClient> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let lastErr: unknown;
    while (Date.now() < deadline) {
      if (opts.signal?.aborted) throw new AbortedError('QMP connect aborted');
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const c = new QmpClient(sock);
        await c.handshake();
        return c;
      } catch (e) {
        lastErr = e;
        await sleep(50);
      }
    }
    throw new QmpError(`cannot connect to QMP socket ${path}`, { cause: lastErr });
  }

  private async handshake(): Promise<void> {
    await new Promise((resolve) => (this.greeted = resolve));
    await this.execute('qmp_capabilities');
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = parseJsonBigSafe(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('QMP' in msg) {
        this.greeted?.(msg);
        this.greeted = undefined;
      } else if ('event' in msg) {
        this.emit('event', { ...(msg as unknown as QmpEvent), receivedAt: Date.now() });
      } else if ('id' in msg) {
        const p = this.pending.get(String(msg.id));
        this.pending.delete(String(msg.id));
        if (!p) continue;
        if ('error' in msg) {
          const err = msg.error as { class?: string; desc?: string };
          p.reject(new QmpError(`QMP ${err.class ?? 'error'}: ${err.desc ?? ''}`));
        } else p.resolve(msg.return);
      }
    }
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new QmpError(`QMP closed, cannot run ${command}`));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id }) + '\n');
    });
  }

  /** Resolve with the first event that matches, or undefined when the signal or timeout ends the wait. */
  waitFor(pred: (e: QmpEvent) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<QmpEvent | undefined> {
    return new Promise((resolve) => {
      const done = (v: QmpEvent | undefined) => {
        clearTimeout(t);
        this.off('event', on);
        signal?.removeEventListener('abort', abort);
        resolve(v);
      };
      const on = (e: QmpEvent) => pred(e) && done(e);
      const abort = () => done(undefined);
      const t = setTimeout(() => done(undefined), timeoutMs);
      this.on('event', on);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.sock.destroy();
  }
}
