/** x rounded to that many decimals (halves up, as Math.round): figures stored in JSON stay short. */
export const roundTo = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};
