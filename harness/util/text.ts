/** `1 cell`, `2 cells`; `many` for the irregular plurals (`crash`, `crashes`). */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of at most max characters, for quoting a command or a text inside an error message. */
export function abbreviate(s: string, max = 120): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
