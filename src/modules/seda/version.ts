/**
 * SEDA version detection from the root element's namespace. Reads only up to the root start tag,
 * through the hostile-input scan (so a DOCTYPE before the root is refused, not parsed).
 */
import { XmlScanError, XmlScanStop, scanXml } from './xml-scanner.js'
import type { KnownSedaVersion, SedaVersion, VersionDetection, XmlLimits, XmlSource } from './seda.types.js'

/** Root namespaces of every SEDA version, supported or not (official XSDs' targetNamespace). */
export const SEDA_NAMESPACES: Readonly<Record<KnownSedaVersion, string>> = Object.freeze({
  '0.2': 'fr:gouv:ae:archive:draft:standard_echange_v0.2',
  '1.0': 'fr:gouv:culture:archivesdefrance:seda:v1.0',
  '2.0': 'fr:gouv:culture:archivesdefrance:seda:v2.0',
  '2.1': 'fr:gouv:culture:archivesdefrance:seda:v2.1',
  '2.2': 'fr:gouv:culture:archivesdefrance:seda:v2.2',
  '2.3': 'fr:gouv:culture:archivesdefrance:seda:v2.3',
})

const SUPPORTED: readonly SedaVersion[] = ['2.1', '2.2', '2.3']

export function versionOfNamespace(ns: string): KnownSedaVersion | null {
  for (const [v, uri] of Object.entries(SEDA_NAMESPACES) as [KnownSedaVersion, string][])
    if (uri === ns) return v
  return null
}

export interface DetectOptions {
  /** Root element required (default `ArchiveTransfer`); null accepts any SEDA message root. */
  expectedRoot?: string | null
  limits?: Partial<XmlLimits>
}

/**
 * Which SEDA version a message is in. Anything but an `ArchiveTransfer` (by default) in the 2.1, 2.2
 * or 2.3 namespace is refused with `UNSUPPORTED_SEDA_VERSION`, naming what was found; a document
 * that is not (safe, well-formed) XML up to its root is refused with `NOT_XML`.
 */
export async function detectSedaVersion(
  source: XmlSource,
  options: DetectOptions = {},
): Promise<VersionDetection> {
  const expectedRoot = options.expectedRoot === undefined ? 'ArchiveTransfer' : options.expectedRoot
  let rootName: string | null = null
  let namespace: string | null = null
  try {
    await scanXml(
      source,
      {
        openTag(tag) {
          rootName = tag.local
          namespace = tag.uri
          throw new XmlScanStop()
        },
      },
      options.limits,
    )
  } catch (e) {
    if (!(e instanceof XmlScanError)) throw e
    return {
      ok: false,
      code: 'NOT_XML',
      detail: 'CHECK_SEDA.NOT_XML_FILE.KO',
      message: `Le manifeste n'est pas un document XML acceptable : ${e.issue.message}`,
      namespace: null,
      rootName: null,
      knownVersion: null,
      issue: e.issue,
    }
  }
  const ns: string = namespace ?? ''
  const root: string = rootName ?? ''
  const known = versionOfNamespace(ns)
  const unsupported = (message: string): VersionDetection => ({
    ok: false,
    code: 'UNSUPPORTED_SEDA_VERSION',
    detail: 'CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO',
    message,
    namespace: ns === '' ? null : ns,
    rootName: root,
    knownVersion: known,
  })
  const accepted = 'versions acceptées : SEDA 2.1, 2.2 et 2.3'
  if (known === null) {
    return unsupported(
      ns === ''
        ? `Version SEDA non reconnue : l'élément racine ${root} n'a pas d'espace de noms (${accepted})`
        : `Version SEDA non reconnue : espace de noms « ${ns} » de l'élément racine ${root} (${accepted})`,
    )
  }
  if (!(SUPPORTED as readonly string[]).includes(known)) {
    return unsupported(`Version SEDA ${known} non prise en charge (espace de noms « ${ns} ») : ${accepted}`)
  }
  if (expectedRoot !== null && root !== expectedRoot) {
    return unsupported(
      `Message SEDA ${known} inattendu : l'élément racine est ${root}, un bordereau de transfert commence par ${expectedRoot}`,
    )
  }
  return { ok: true, version: known as SedaVersion, namespace: ns, rootName: root }
}
