/**
 * Manifest file name rule at the root of a SIP, after Vitam (`VitamConstants.MANIFEST_FILE_NAME_REGEX`,
 * reference/vitam.md §1.2): `manifest.xml`, optionally prefixed by up to 56 characters among
 * `[a-zA-Z0-9_-]` ending with `_` or `-` (e.g. `toto_manifest.xml`). Anchored at both ends here.
 */
export const MANIFEST_FILE_NAME = /^([a-zA-Z0-9_-]{0,56}[_-])?manifest\.xml$/

export function isManifestFileName(name: string): boolean {
  return MANIFEST_FILE_NAME.test(name)
}
