/** The archives the lab reaches for Debian packages: the release, its updates and its security fixes. */
export function debianSources(suite: string): string[] {
  return [
    `deb http://deb.debian.org/debian ${suite} main`,
    `deb http://deb.debian.org/debian ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
}

/**
 * The archive lines of any Debian suite: a release as above; unstable, which has no updates or
 * security suites; a backports suite with its release (its packages depend on it). Pure.
 */
export function suiteSources(suite: string): string[] {
  if (suite === 'sid' || suite === 'unstable') return [`deb http://deb.debian.org/debian ${suite} main`];
  const bp = /^(.+)-backports$/.exec(suite);
  if (bp) return [...debianSources(bp[1]!), `deb http://deb.debian.org/debian ${suite} main`];
  return debianSources(suite);
}
