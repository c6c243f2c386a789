/**
 * Where each of a few fixed strings next occurs in one text, for a reader that walks the text
 * line by line from its start. A string rare in the text is searched once per occurrence, not
 * once per line; and a search never runs past the line it is asked about more than once (a
 * per-line indexOf on a chunk without the string would scan the rest of the chunk every line).
 */
export class NeedleCursor {
  private text = '';
  /** Next known position of each needle; -1 before the first search, the text's length when none is left. */
  private readonly next: number[];

  constructor(private readonly needles: readonly string[]) {
    this.next = needles.map(() => -1);
  }

  /** Starts on a new text. */
  reset(text: string): void {
    this.text = text;
    this.next.fill(-1);
  }

  /**
   * Where needle `i` next starts at or after `from` (the text's length when it does not).
   * `from` may only grow between resets.
   */
  nextOf(i: number, from: number): number {
    let k = this.next[i] as number;
    if (k < from) {
      k = this.text.indexOf(this.needles[i] as string, from);
      if (k < 0) k = this.text.length;
      this.next[i] = k;
    }
    return k;
  }

  /** Whether any needle starts in [from, to). */
  anyIn(from: number, to: number): boolean {
    for (let i = 0; i < this.needles.length; i++) if (this.nextOf(i, from) < to) return true;
    return false;
  }
}
