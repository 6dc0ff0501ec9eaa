export { openPackage } from './open-package.js'
export {
  DEFAULT_CONTAINER_LIMITS,
  type ContainerEntry,
  type ContainerKind,
  type ContainerLimits,
  type OpenPackageOptions,
  type PackageReader,
} from './types.js'
export { ContainerErrorCode, UNSAFE_RULES, type LimitName, type UnsafeRule } from './errors.js'
export { MANIFEST_NAME_PATTERN, isManifestName, foldKey } from './names.js'
export { TAR_OVERHEAD_BASE, TAR_OVERHEAD_PER_ENTRY } from './tar-reader.js'
