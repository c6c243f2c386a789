/**
 * The last few console lines, kept as places in the text they came in (the text, start and end),
 * so keeping a line costs no string; a line is cut out only when a report or a reboot asks for it.
 */
export class RecentLines {
  private readonly texts: string[];
  private readonly starts: number[];
  private readonly ends: number[];
  /** Lines kept so far, up to the capacity. */
  private size = 0;
  /** Slot of the next line. */
  private at = 0;

  constructor(private readonly capacity: number) {
    this.texts = Array<string>(capacity).fill('');
    this.starts = Array<number>(capacity).fill(0);
    this.ends = Array<number>(capacity).fill(0);
  }

  push(text: string, start: number, end: number): void {
    this.texts[this.at] = text;
    this.starts[this.at] = start;
    this.ends[this.at] = end;
    this.at = (this.at + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The latest line, if any. */
  last(): string | undefined {
    return this.size === 0 ? undefined : this.line((this.at + this.capacity - 1) % this.capacity);
  }

  /** The lines kept, oldest first. */
  all(): string[] {
    const out: string[] = [];
    for (let k = this.size; k > 0; k--) out.push(this.line((this.at + this.capacity - k) % this.capacity));
    return out;
  }

  private line(slot: number): string {
    const text = this.texts[slot] as string;
    const start = this.starts[slot] as number;
    const end = this.ends[slot] as number;
    return start === 0 && end === text.length ? text : text.slice(start, end);
  }
}
