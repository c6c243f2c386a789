import { LabError } from '../util/errors.js';

/**
 * A package the image or build needs is no longer in the archive it came from (Debian drops a
 * kernel's packages a few point releases later). The lab cannot build what it was asked to; the
 * message names the package, where it was looked for, and the newest package of its kind there.
 */
export class PackageGoneError extends LabError {
  constructor(
    readonly pkg: string,
    readonly archive: string,
    readonly newest: { name: string; version: string } | undefined,
    options?: { cause?: unknown },
  ) {
    const instead = newest ? `; the newest there is ${newest.name} ${newest.version}` : '';
    super('PACKAGE_LEFT_ARCHIVE', `${pkg} is not in ${archive}${instead} (name that one in the recipe, or use the metapackage)`, options);
  }
}
