import { createHash } from 'node:crypto'
import type { Db } from '../../platform/db/create-db.js'
import type { Clock } from '../../platform/clock.js'
import { AppError } from '../../platform/errors.js'
import { toEventRow, type AuditService } from '../audit/index.js'
import type { FixityService } from '../fixity/index.js'
import { readToken, type SealService } from '../seal/index.js'
import type { BlobStore } from '../storage/index.js'
import type { Principal, TenancyService } from '../tenancy/index.js'
import { checkSeal } from './seal-check.js'
import { renderProbativePdf, type PdfOptions } from './probative.pdf.js'
import {
  PROBATIVE_FORMAT,
  type DigestStatement,
  type ProbativeAudit,
  type ProbativeCopy,
  type ProbativeEvent,
  type ProbativeReport,
  type ProbativeSeal,
} from './probative.types.js'

export interface ProbativeDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly tenancy: TenancyService
  readonly fixity: FixityService
  readonly seals: SealService
  readonly offers: readonly BlobStore[]
  readonly clock: Clock
}

export const PROBATIVE_EVENT = 'PROBATIVE_REPORT'

const sha512 = (b: string | Buffer): string => createHash('sha512').update(b).digest('hex')

/**
 * The probative-value report (relevé de valeur probante) of one object: what it is, where it came
 * from, its digests over time, its copies and their audits, every event concerning it and the seals
 * covering them, verified now, and a conclusion. Each generation is logged (one PROBATIVE_REPORT
 * event stating the SHA-512 of the document delivered).
 */
export class ProbativeReportService {
  constructor(private readonly deps: ProbativeDeps) {}

  /** The JSON report; its generation is logged. */
  async build(principal: Principal, tenantId: string, objectId: string): Promise<ProbativeReport> {
    const report = await this.assemble(principal, tenantId, objectId)
    await this.log(principal, report, 'json', sha512(JSON.stringify(report)))
    return report
  }

  /** The same report rendered as a PDF; its generation is logged with the PDF's SHA-512. */
  async pdf(
    principal: Principal,
    tenantId: string,
    objectId: string,
    opts: PdfOptions = {},
  ): Promise<{ report: ProbativeReport; pdf: Buffer }> {
    const report = await this.assemble(principal, tenantId, objectId)
    const pdf = await renderProbativePdf(report, opts)
    await this.log(principal, report, 'pdf', sha512(pdf))
    return { report, pdf }
  }

  private async log(principal: Principal, r: ProbativeReport, format: 'json' | 'pdf', digest: string) {
    await this.deps.audit.inOperation(
      { tenantId: r.tenant.id, type: PROBATIVE_EVENT, agent: principal.id },
      async () => ({
        result: null,
        events: [
          {
            type: PROBATIVE_EVENT,
            outcome: 'OK',
            detail: `${PROBATIVE_EVENT}.OK`,
            message: `Relevé de valeur probante de l’objet ${r.object.id} (${format.toUpperCase()})`,
            agent: principal.id,
            objectId: r.object.id,
            data: {
              format,
              reportFormat: PROBATIVE_FORMAT,
              sha512: digest,
              conclusion: r.conclusion.status,
              generatedAt: r.generatedAt,
            },
          },
        ],
      }),
    )
  }

  private async assemble(principal: Principal, tenantId: string, objectId: string): Promise<ProbativeReport> {
    const tenant = await this.deps.tenancy.requireAccess(principal, tenantId, 'archive.read')
    await this.deps.tenancy.requireAccess(principal, tenantId, 'logbook.read')
    const k = this.deps.db.kysely
    const id = String(objectId)
    // An id no object can have (NUL, which PostgreSQL refuses in text, or absurdly long) is simply unknown.
    const o =
      id.includes('\u0000') || id.length > 200
        ? undefined
        : await k
            .selectFrom('data_object')
            .selectAll()
            .where('tenant_id', '=', tenant.id)
            .where('id', '=', id)
            .executeTakeFirst()
    if (!o)
      throw new AppError('OBJECT_NOT_FOUND', 'not_found', `Objet inconnu : ${id.slice(0, 200)}`, {
        objectId: id.slice(0, 200),
      })
    const catalogSha = o.sha512 ? o.sha512.toLowerCase() : null
    const unitRows = await k
      .selectFrom('archive_unit')
      .select([
        'id',
        'seda_id',
        'title',
        'description_level',
        'originating_agency',
        'submission_agency',
        'operation_id',
      ])
      .where('tenant_id', '=', tenant.id)
      .where('object_group_id', '=', o.group_id)
      .orderBy('id')
      .execute()
    const units = unitRows.map((u) => ({
      id: u.id,
      sedaId: u.seda_id,
      title: u.title,
      descriptionLevel: u.description_level,
      originatingAgency: u.originating_agency,
      submissionAgency: u.submission_agency,
    }))

    // Origin: the ingest operation that brought the object in.
    const ing = await k
      .selectFrom('ingest')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('operation_id', '=', o.operation_id)
      .executeTakeFirst()
    const manifest = ing?.manifest_blob_id
      ? await k
          .selectFrom('blob')
          .select(['id', 'sha512', 'size'])
          .where('id', '=', ing.manifest_blob_id)
          .executeTakeFirst()
      : undefined
    const fromIngest = unitRows.find((u) => u.operation_id === o.operation_id) ?? unitRows[0]
    const origin = {
      operationId: o.operation_id,
      status: ing?.status ?? null,
      receivedAt: ing?.created_at ?? null,
      finishedAt: ing?.finished_at ?? null,
      fileName: ing?.file_name ?? null,
      submissionAgency: fromIngest?.submission_agency ?? null,
      originatingAgency: fromIngest?.originating_agency ?? null,
      contractId: ing?.contract_id ?? null,
      messageIdentifier: ing?.message_identifier ?? null,
      sedaVersion: ing?.seda_version ?? null,
      replyCode: ing?.reply_code ?? null,
      manifest: manifest
        ? { blobId: manifest.id, sha512: manifest.sha512, size: Number(manifest.size) }
        : null,
    }

    // Copies: the storage's record per offer and the last fixity check of each.
    const history = await this.deps.fixity.historyOf(tenant.id, o.id)
    const blobCopies = o.blob_id
      ? await k.selectFrom('blob_copy').selectAll().where('blob_id', '=', o.blob_id).execute()
      : []
    const offerIds = new Set<string>([
      ...this.deps.offers.map((x) => x.id),
      ...blobCopies.map((b) => b.offer_id),
      ...history.copies.map((c) => c.offer),
    ])
    const copies: ProbativeCopy[] =
      o.kind === 'physical'
        ? []
        : [...offerIds].sort().map((offer) => {
            const last = history.copies.find((c) => c.offer === offer)
            return {
              offer,
              offerKind: this.deps.offers.find((x) => x.id === offer)?.kind ?? null,
              state: blobCopies.find((b) => b.offer_id === offer)?.state ?? null,
              lastCheck: last
                ? {
                    auditId: last.auditId,
                    type: last.auditType,
                    at: last.checkedAt,
                    outcome: last.outcome,
                    digest: last.digest,
                    detail: last.detail,
                  }
                : null,
            }
          })
    const anomalies = history.anomalies.map((a) => ({
      auditId: a.auditId,
      offer: a.offer,
      kind: a.kind,
      detail: a.detail,
      repair: a.repair,
      repairedFrom: a.repairedFrom,
      detectedAt: a.detectedAt,
    }))

    // Audits whose scope covered the object (its tenant or the platform; its producer or all).
    const producers = [...new Set(unitRows.map((u) => u.originating_agency).filter((p) => p !== null))]
    const auditRows =
      o.kind === 'physical'
        ? []
        : await k
            .selectFrom('fixity_audit')
            .selectAll()
            .where((eb) => eb.or([eb('tenant_id', '=', tenant.id), eb('tenant_id', 'is', null)]))
            .where((eb) =>
              producers.length > 0
                ? eb.or([eb('producer', 'is', null), eb('producer', 'in', producers)])
                : eb('producer', 'is', null),
            )
            .where('created_at', '>=', o.created_at)
            .orderBy('created_at')
            .orderBy('id')
            .execute()
    const audits: ProbativeAudit[] = auditRows.map((a) => ({
      auditId: a.id,
      type: a.type,
      scope: a.tenant_id === null ? 'platform' : a.producer ? `producer ${a.producer}` : 'tenant',
      trigger: a.trigger,
      status: a.status,
      createdAt: a.created_at,
      finishedAt: a.finished_at,
    }))

    // Every event about the object, its units, or the ingest operation that brought it.
    const subjects = [o.id, ...unitRows.map((u) => u.id)]
    const eventRows = await k
      .selectFrom('logbook_event')
      .selectAll()
      .where('chain', '=', tenant.id)
      .where((eb) => eb.or([eb('object_id', 'in', subjects), eb('operation_id', '=', o.operation_id)]))
      .orderBy('seq')
      .execute()
    const rangeRows = await k
      .selectFrom('logbook_seal_range')
      .innerJoin('logbook_seal', 'logbook_seal.id', 'logbook_seal_range.seal_id')
      .select(['logbook_seal_range.from_seq', 'logbook_seal_range.to_seq', 'logbook_seal.number'])
      .where('logbook_seal_range.chain', '=', tenant.id)
      .execute()
    const sealOf = (seq: number): number | null => {
      for (const r of rangeRows)
        if (Number(r.from_seq) <= seq && seq <= Number(r.to_seq)) return Number(r.number)
      return null
    }
    const logged = eventRows.map(toEventRow)
    const events: ProbativeEvent[] = logged.map((e) => ({
      chain: e.chain,
      seq: e.seq,
      operationId: e.operationId,
      type: e.type,
      outcome: e.outcome,
      detail: e.detail ?? null,
      message: e.message ?? null,
      at: e.createdAt,
      agent: e.agent ?? null,
      objectId: e.objectId ?? null,
      hash: e.hash,
      seal: sealOf(e.seq),
    }))

    // Digests over time.
    const same = (d: string | null | undefined): boolean | null =>
      d && catalogSha ? d.toLowerCase() === catalogSha : null
    const digests: DigestStatement[] = []
    if (o.declared_digest)
      digests.push({
        at: ing?.created_at ?? o.created_at,
        source: 'declared',
        offer: null,
        algorithm: o.declared_algorithm ?? 'unknown',
        digest: o.declared_digest,
        matches: /^sha-?512$/i.test(o.declared_algorithm ?? '') ? same(o.declared_digest) : null,
        detail: 'Empreinte déclarée dans le bordereau de transfert',
      })
    if (catalogSha)
      digests.push({
        at: o.created_at,
        source: 'ingest',
        offer: null,
        algorithm: 'SHA-512',
        digest: catalogSha,
        matches: true,
        detail: 'Calculée à la prise en charge (référence du catalogue)',
      })
    for (const e of logged) {
      const d = e.data as Record<string, unknown> | null
      const stated = d && typeof d.sha512 === 'string' ? d.sha512 : null
      if (!stated || e.objectId !== o.id || e.type === PROBATIVE_EVENT) continue
      digests.push({
        at: e.createdAt,
        source: 'event',
        offer: null,
        algorithm: 'SHA-512',
        digest: stated,
        matches: same(stated),
        detail: `${e.type} (événement ${e.chain}#${e.seq})`,
      })
    }
    for (const a of anomalies)
      if (a.kind === 'digest' || a.kind === 'size')
        digests.push({
          at: a.detectedAt,
          source: 'fixity',
          offer: a.offer,
          algorithm: 'SHA-512',
          digest: null,
          matches: false,
          detail: `Audit ${a.auditId} : ${a.detail ?? a.kind}`,
        })
    for (const c of copies)
      if (c.lastCheck?.digest)
        digests.push({
          at: c.lastCheck.at,
          source: 'fixity',
          offer: c.offer,
          algorithm: 'SHA-512',
          digest: c.lastCheck.digest,
          matches: same(c.lastCheck.digest),
          detail: `Audit ${c.lastCheck.auditId} (${c.lastCheck.type}) : ${c.lastCheck.outcome}`,
        })
    digests.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))

    // Seals covering the events, verified now.
    const numbers = new Set(events.map((e) => e.seal).filter((n): n is number => n !== null))
    const seals: ProbativeSeal[] = []
    if (numbers.size > 0) {
      const all = await this.deps.seals.list()
      const cas = await this.deps.seals.trustedCas()
      for (const s of all) {
        if (!numbers.has(s.number)) continue
        let tsa: string | null = null
        let serial: string | null = null
        try {
          const info = readToken(s.token)
          tsa = info.signer
          serial = info.serial
        } catch {
          // an unreadable token is reported by the check below
        }
        const problems = await checkSeal(this.deps.seals, this.deps.offers, all, s, cas)
        seals.push({
          id: s.id,
          number: s.number,
          createdAt: s.createdAt,
          events: s.events,
          merkleRoot: s.merkleRoot,
          tokenTime: s.genTime,
          tsa,
          tokenSerial: serial,
          verified: problems.length === 0,
          problems,
        })
      }
    }
    const unsealedEvents = events.filter((e) => e.seal === null).length

    // Conclusion.
    const ko: string[] = []
    const warn: string[] = []
    let integrityBad = false
    if (o.kind === 'binary') {
      if (history.lost) {
        ko.push('Aucune copie intègre ne subsiste sur aucune offre')
        integrityBad = true
      }
      for (const c of copies) {
        const out = c.lastCheck?.outcome
        if (out && out !== 'ok' && out !== 'repaired') {
          ko.push(`Copie sur l’offre ${c.offer} : ${out} au dernier audit (${c.lastCheck!.at})`)
          integrityBad = true
        }
        if (c.lastCheck?.digest && same(c.lastCheck.digest) === false) {
          ko.push(`Copie sur l’offre ${c.offer} : empreinte différente de celle du catalogue`)
          integrityBad = true
        }
      }
      for (const d of digests)
        if (d.source !== 'fixity' && d.matches === false) {
          ko.push(`Empreinte ${d.source} du ${d.at} différente de celle du catalogue`)
          integrityBad = true
        }
      for (const a of anomalies) {
        integrityBad = true
        const line = `Anomalie « ${a.kind} » sur l’offre ${a.offer} détectée le ${a.detectedAt} (audit ${a.auditId})`
        if (a.repair === 'repaired') warn.push(`${line}, réparée depuis l’offre ${a.repairedFrom}`)
        else if (a.kind !== 'lost') ko.push(`${line}, non réparée`)
      }
      if (!copies.some((c) => c.lastCheck?.type === 'integrity'))
        warn.push('Aucun audit d’intégrité n’a encore relu les copies de cet objet')
    }
    for (const s of seals)
      if (!s.verified) ko.push(`Sceau n° ${s.number} : la vérification échoue (${s.problems.join(' ; ')})`)
    if (unsealedEvents > 0) warn.push(`${unsealedEvents} événement(s) pas encore scellé(s)`)
    return {
      format: PROBATIVE_FORMAT,
      tenant: { id: tenant.id, name: tenant.name },
      generatedAt: this.deps.clock.now().toISOString(),
      generatedBy: principal.name ? `${principal.name} (${principal.id})` : principal.id,
      object: {
        id: o.id,
        sedaId: o.seda_id,
        kind: o.kind,
        usage: o.usage,
        filename: o.filename,
        format: { puid: o.format_puid, name: o.format_name },
        mimeType: o.mime_type,
        size: o.size === null ? null : Number(o.size),
        sha512: catalogSha,
        declared: { algorithm: o.declared_algorithm, digest: o.declared_digest },
        groupId: o.group_id,
        createdAt: o.created_at,
      },
      units,
      origin,
      digests,
      audits,
      copies,
      anomalies,
      events,
      seals,
      unsealedEvents,
      conclusion: {
        status: ko.length > 0 ? 'KO' : warn.length > 0 ? 'WARNING' : 'OK',
        integrity: integrityBad ? 'ANOMALIES' : 'OK',
        findings: [...ko, ...warn],
      },
    }
  }
}
