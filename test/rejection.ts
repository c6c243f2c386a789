/** The error a promise rejects with, for a test to inspect; fails the test when it resolves. */
export async function rejection<E = any>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected a rejection');
}
