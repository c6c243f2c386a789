/** The archives the lab reaches for Debian packages: the release, its updates and its security fixes. */
export function debianSources(suite: string): string[] {
  return [
    `deb http://deb.debian.org/debian ${suite} main`,
    `deb http://deb.debian.org/debian ${suite}-updates main`,
    `deb http://deb.debian.org/debian-security ${suite}-security main`,
  ];
}
