/**
 * ArchiveTransferReply (ATR) writer. Produces the reply in the package's SEDA version (2.1 when the
 * version is unknown, i.e. a refusal before the manifest could be read), in the element order of the
 * official XSD, so that it validates against it. The shape follows Vitam's ATRs: system ids of the
 * objects in `DataObjectPackage/DataObjectGroup/*DataObject/DataObjectSystemId` (+ group system id),
 * of the units in `DescriptiveMetadata/ArchiveUnit/Content/SystemId`, events in `Operation/Event`.
 */
import { AppError } from '../../platform/errors.js'
import { replyCodeFor } from './reply-codes.js'
import type { AtrEvent, AtrInput, AtrObject, SedaVersion } from './seda.types.js'

/** Placeholder written where the standard requires an identifier we do not know (as Vitam does). */
export const UNKNOWN_IDENTIFIER = 'Unknown'
export const DEFAULT_REPLY_CODE_LIST_VERSION = 'SEDA-0.2-ReplyCode'
/** Version of the ATR when the package's version is unknown. */
export const FALLBACK_ATR_VERSION: SedaVersion = '2.1'

const DATE_TIME =
  /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?$/
const NCNAME =
  /^[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD][\w.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]*$/

/** What XML 1.0 cannot carry: control characters, lone surrogates, U+FFFE/FFFF. */
/* eslint-disable no-control-regex */
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/* eslint-enable no-control-regex */

const xmlSafe = (s: string): string => s.replace(NOT_XML_CHAR, '\uFFFD')

const esc = (s: string): string =>
  xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const escAttr = (s: string): string => esc(s).replace(/"/g, '&quot;')

/** Collapses whitespace as xsd:token does; empty stays empty. */
const token = (s: string): string => xmlSafe(s).replace(/\s+/g, ' ').trim()

function dateTime(value: string | Date, field: string): string {
  const s = value instanceof Date ? value.toISOString() : value
  if (!DATE_TIME.test(s)) {
    throw new AppError('SEDA_ATR_INVALID_INPUT', 'internal', `Date invalide pour ${field} : « ${s} »`, {
      field,
      value: s,
    })
  }
  return s
}

function identifier(value: string | null | undefined): string {
  const t = value === null || value === undefined ? '' : token(value)
  return t === '' ? UNKNOWN_IDENTIFIER : t
}

function ncname(value: string, field: string): string {
  if (!NCNAME.test(value)) {
    throw new AppError(
      'SEDA_ATR_INVALID_INPUT',
      'internal',
      `Identifiant SEDA invalide pour ${field} : « ${value} »`,
      {
        field,
        value,
      },
    )
  }
  return value
}

const DEFAULT_COMMENTS: Record<AtrInput['status'], string> = {
  OK: 'Transfert accepté',
  WARNING: 'Transfert accepté avec avertissement(s)',
  KO: 'Transfert refusé',
  FATAL: 'Transfert interrompu par une erreur technique',
}

function eventXml(e: AtrEvent, replyDate: string, indent: string): string {
  const lines: string[] = [`${indent}<Event>`]
  const add = (name: string, value: string | undefined): void => {
    if (value === undefined) return
    const t = token(value)
    if (t !== '') lines.push(`${indent}  <${name}>${esc(t)}</${name}>`)
  }
  add('EventIdentifier', e.id)
  add('EventTypeCode', e.type)
  lines.push(
    `${indent}  <EventDateTime>${dateTime(e.dateTime ?? replyDate, 'EventDateTime')}</EventDateTime>`,
  )
  add('Outcome', e.outcome)
  add('OutcomeDetail', e.detail)
  add('OutcomeDetailMessage', e.message)
  lines.push(`${indent}</Event>`)
  return lines.join('\n')
}

function objectXml(o: AtrObject, indent: string): string {
  const el = o.kind === 'binary' ? 'BinaryDataObject' : 'PhysicalDataObject'
  const lines = [`${indent}<${el} id="${escAttr(ncname(o.id, `${el}/@id`))}">`]
  lines.push(`${indent}  <DataObjectSystemId>${esc(token(o.systemId))}</DataObjectSystemId>`)
  if (o.groupSystemId !== undefined && token(o.groupSystemId) !== '') {
    lines.push(`${indent}  <DataObjectGroupSystemId>${esc(token(o.groupSystemId))}</DataObjectGroupSystemId>`)
  }
  if (o.dataObjectVersion !== undefined && token(o.dataObjectVersion) !== '') {
    lines.push(`${indent}  <DataObjectVersion>${esc(token(o.dataObjectVersion))}</DataObjectVersion>`)
  }
  lines.push(`${indent}</${el}>`)
  return lines.join('\n')
}

/**
 * Writes the ATR. The reply code defaults to `replyCodeFor(status, events)`; identifiers the
 * standard requires but that are unknown (agencies, request identifier) are written `Unknown`.
 */
export function writeAtr(input: AtrInput): string {
  const v: SedaVersion = input.sedaVersion ?? FALLBACK_ATR_VERSION
  const ns = `fr:gouv:culture:archivesdefrance:seda:v${v}`
  const date = dateTime(input.date, 'Date')
  const accepted = input.status === 'OK' || input.status === 'WARNING'
  const replyCode = token(input.replyCode ?? replyCodeFor(input.status, input.events))
  if (replyCode === '') throw new AppError('SEDA_ATR_INVALID_INPUT', 'internal', 'Code de réponse vide', {})
  const messageIdentifier = token(input.messageIdentifier)
  if (messageIdentifier === '') {
    throw new AppError(
      'SEDA_ATR_INVALID_INPUT',
      'internal',
      "Identifiant de l'ATR (MessageIdentifier) vide",
      {},
    )
  }

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<ArchiveTransferReply xmlns="${ns}">`]
  out.push(`  <Comment>${esc(input.comment ?? DEFAULT_COMMENTS[input.status])}</Comment>`)
  out.push(`  <Date>${date}</Date>`)
  out.push(`  <MessageIdentifier>${esc(messageIdentifier)}</MessageIdentifier>`)
  const agreement = input.archivalAgreement ? token(input.archivalAgreement) : ''
  if (agreement !== '') out.push(`  <ArchivalAgreement>${esc(agreement)}</ArchivalAgreement>`)
  out.push('  <CodeListVersions>')
  out.push(
    `    <ReplyCodeListVersion>${esc(identifier(input.replyCodeListVersion ?? DEFAULT_REPLY_CODE_LIST_VERSION))}</ReplyCodeListVersion>`,
  )
  out.push('  </CodeListVersions>')

  const units = input.units ?? []
  const objects = input.objects ?? []
  if (units.length > 0 || objects.length > 0) {
    out.push('  <DataObjectPackage>')
    // Objects under their group (first appearance order), loose objects after.
    const byGroup = new Map<string, AtrObject[]>()
    const loose: AtrObject[] = []
    for (const o of objects) {
      if (o.groupId === undefined) loose.push(o)
      else {
        const list = byGroup.get(o.groupId)
        if (list) list.push(o)
        else byGroup.set(o.groupId, [o])
      }
    }
    for (const [gid, list] of byGroup) {
      out.push(`    <DataObjectGroup id="${escAttr(ncname(gid, 'DataObjectGroup/@id'))}">`)
      for (const o of list) out.push(objectXml(o, '      '))
      out.push('    </DataObjectGroup>')
    }
    for (const o of loose) out.push(objectXml(o, '    '))
    if (units.length === 0) out.push('    <DescriptiveMetadata/>')
    else {
      out.push('    <DescriptiveMetadata>')
      for (const u of units) {
        out.push(
          `      <ArchiveUnit id="${escAttr(ncname(u.id, 'ArchiveUnit/@id'))}"><Content><SystemId>${esc(token(u.systemId))}</SystemId></Content></ArchiveUnit>`,
        )
      }
      out.push('    </DescriptiveMetadata>')
    }
    out.push('    <ManagementMetadata/>')
    out.push('  </DataObjectPackage>')
  }

  out.push(`  <ReplyCode>${esc(replyCode)}</ReplyCode>`)
  if (input.events.length > 0) {
    out.push('  <Operation>')
    for (const e of input.events) out.push(eventXml(e, date, '    '))
    out.push('  </Operation>')
  }
  out.push(
    `  <MessageRequestIdentifier>${esc(identifier(input.messageRequestIdentifier))}</MessageRequestIdentifier>`,
  )
  if (accepted) out.push(`  <GrantDate>${dateTime(input.grantDate ?? input.date, 'GrantDate')}</GrantDate>`)
  out.push(
    `  <ArchivalAgency><Identifier>${esc(identifier(input.archivalAgencyIdentifier))}</Identifier></ArchivalAgency>`,
  )
  out.push(
    `  <TransferringAgency><Identifier>${esc(identifier(input.transferringAgencyIdentifier))}</Identifier></TransferringAgency>`,
  )
  out.push('</ArchiveTransferReply>')
  return `${out.join('\n')}\n`
}
