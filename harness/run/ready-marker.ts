/** The line the guest's init prints on the serial console once its userland is up. */
export interface ReadyMarker {
  bootId: string;
  /** The guest's uptime at the marker; unknown when the marker is not the console's (Windows: SSH answered). */
  uptimeMs?: number;
}

const MARKER = /bootgate-ready boot_id=([0-9a-f-]+) uptime=([\d.]+)\r?\n/;

/** Finds the ready marker in a console stream given in arbitrary chunks. */
export class ReadyMarkerScanner {
  private tail = '';

  push(chunk: string): ReadyMarker | undefined {
    const text = this.tail + chunk;
    const m = MARKER.exec(text);
    // Keep a short tail so a marker split across chunks is still found.
    this.tail = text.slice(-160);
    if (!m) return undefined;
    this.tail = '';
    return { bootId: m[1]!, uptimeMs: Math.round(Number(m[2]) * 1000) };
  }
}
