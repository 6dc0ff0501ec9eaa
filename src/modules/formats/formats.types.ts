/** Types of the formats module: the parsed signature files and what identification returns. */

export type SequenceReference =
  | 'BOFoffset'
  | 'EOFoffset'
  | 'Variable'
  | 'IndirectBOFoffset'
  | 'IndirectEOFoffset'

/** A `<LeftFragment>` / `<RightFragment>` as read from the file (offsets are gaps, in bytes). */
export interface FragmentDef {
  readonly position: number
  readonly minOffset: number
  readonly maxOffset: number
  readonly pattern: string
}

export interface SubSequenceDef {
  readonly position: number
  readonly minOffset: number
  /** Absent in the file → undefined (DROID then uses the minimum, or scans when not anchored). */
  readonly maxOffset: number | undefined
  readonly sequence: string
  readonly leftFragments: readonly FragmentDef[]
  readonly rightFragments: readonly FragmentDef[]
}

export interface ByteSequenceDef {
  readonly reference: SequenceReference
  readonly subSequences: readonly SubSequenceDef[]
  /** Only for Indirect* references. */
  readonly indirect?: { readonly location: number; readonly length: number; readonly bigEndian: boolean }
}

export interface InternalSignatureDef {
  readonly id: number
  readonly specificity: 'Specific' | 'Generic' | undefined
  readonly byteSequences: readonly ByteSequenceDef[]
}

export interface FileFormatDef {
  readonly id: number
  readonly puid: string
  readonly name: string
  readonly version: string | undefined
  readonly mimeTypes: readonly string[]
  readonly extensions: readonly string[]
  readonly internalSignatureIds: readonly number[]
  readonly hasPriorityOverIds: readonly number[]
}

/** The DROID binary signature file (`DROID_SignatureFile_Vnnn.xml`), validated. */
export interface SignatureFileDef {
  readonly version: number
  readonly dateCreated: string
  readonly signatures: readonly InternalSignatureDef[]
  readonly formats: readonly FileFormatDef[]
}

export type ContainerType = 'ZIP' | 'OLE2'

export interface ContainerFileDef {
  readonly path: string
  /** Any one of them must match the file's bytes; empty = the file only has to exist. */
  readonly signatures: readonly InternalSignatureDef[]
}

export interface ContainerSignatureDef {
  readonly id: number
  readonly containerType: ContainerType
  readonly description: string
  readonly files: readonly ContainerFileDef[]
}

/** The DROID container signature file (`container-signature-yyyymmdd.xml`), validated. */
export interface ContainerSignatureFileDef {
  readonly signatureVersion: number
  readonly signatures: readonly ContainerSignatureDef[]
  /** Container signature id → PUID. */
  readonly mappings: ReadonlyMap<number, string>
  /** Binary PUID that triggers a container type. */
  readonly triggers: readonly { readonly containerType: ContainerType; readonly puid: string }[]
}

/** One entry of the format referential (`formats()`). */
export interface FormatInfo {
  readonly puid: string
  readonly name: string
  readonly version: string | undefined
  readonly mimeTypes: readonly string[]
  readonly extensions: readonly string[]
  /** Has at least one binary signature. */
  readonly hasSignature: boolean
  /** Is the target of at least one container signature. */
  readonly hasContainerSignature: boolean
}

export type IdentificationMethod = 'signature' | 'container' | 'extension' | 'none'

export interface FormatMatch {
  readonly puid: string
  readonly name: string
  readonly version: string | undefined
  readonly mimeTypes: readonly string[]
  /** What matched: internal signature ids, container signature ids, or the extension. */
  readonly basis: string
}

export interface IdentifyResult {
  readonly method: IdentificationMethod
  /** The retained format (first of `matches`), or null when nothing matched. */
  readonly puid: string | null
  readonly name: string | null
  readonly mimeType: string | null
  /** Every format left after priority resolution, the retained one first. */
  readonly matches: readonly FormatMatch[]
  /** The file name's extension is not one of the retained format's extensions (signature/container only). */
  readonly extensionMismatch: boolean
  /** Work limits hit, container parts unreadable, etc. (English, for logs). */
  readonly warnings: readonly string[]
}

export interface IdentifyOptions {
  /** Used for the extension fallback and the mismatch flag. */
  readonly filename?: string
  /** Total size of the object; `head` must be its first bytes, `tail` its last bytes. */
  readonly size: number
}
