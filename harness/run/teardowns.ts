/** Cleanup steps run in reverse order of registration, every one of them, whatever failed before. */
export class Teardowns {
  private steps: { name: string; fn: () => Promise<unknown> | unknown }[] = [];

  add(name: string, fn: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, fn });
  }

  /** Runs all steps; returns the messages of those that failed (cleanup never throws over the real error). */
  async run(): Promise<string[]> {
    const errors: string[] = [];
    while (this.steps.length > 0) {
      const s = this.steps.pop()!;
      try {
        await s.fn();
      } catch (e) {
        errors.push(`${s.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return errors;
  }
}
