import { createHash } from 'node:crypto'
import { canonicalJson } from '../../platform/canonical-json.js'
import type { Clock } from '../../platform/clock.js'
import type { Db, Executor } from '../../platform/db/create-db.js'
import { AppError, isAppError } from '../../platform/errors.js'
import type { AuditService, OperationEvent } from '../audit/index.js'
import { TenancyErrors } from '../tenancy/index.js'
import { readDefaultFiles } from './defaults.js'
import { invalidReferential, kindLabel } from './issues.js'
import type { ParsedJsonEntry, RefTarget, RefUse } from './json-referentials.parser.js'
import { parseReferentialFile, type ParsedFile } from './parse.js'
import {
  ReferentialRepository,
  type AgencyData,
  type EntryData,
  type RuleData,
} from './referential.repository.js'
import {
  isReferentialKind,
  REFERENTIAL_KINDS,
  type EntryOf,
  type ImportResult,
  type InUseChecker,
  type JsonEntry,
  type JsonReferentialKind,
  type LoadDefaultsResult,
  type ReferenceResolver,
  type ReferenceTarget,
  type ReferentialError,
  type ReferentialKind,
  type RuleEntry,
} from './referential.types.js'

export interface ReferentialDeps {
  readonly db: Db
  readonly audit: AuditService
  readonly clock: Clock
  /** Folder holding the shipped defaults; src/assets/referentials by default. */
  readonly defaultsDir?: string
  /** Storage strategies a management contract may name; SAEH has one, `default` (all configured offers). */
  readonly storageStrategies?: readonly string[]
}

/** Vitam's logbook vocabulary: the operation type, and the event types of its two steps. */
const VOCABULARY: Readonly<
  Record<ReferentialKind, { op: string; check: string; step: string; format: 'CSV' | 'JSON' }>
> = {
  rules: { op: 'IMPORT_RULES', check: 'CHECK_RULES', step: 'STP_IMPORT_RULES', format: 'CSV' },
  agencies: { op: 'IMPORT_AGENCIES', check: 'CHECK_AGENCIES', step: 'STP_IMPORT_AGENCIES', format: 'CSV' },
  'ingest-contracts': {
    op: 'IMPORT_INGEST_CONTRACT',
    check: 'CHECK_INGEST_CONTRACT',
    step: 'STP_IMPORT_INGEST_CONTRACT',
    format: 'JSON',
  },
  'access-contracts': {
    op: 'IMPORT_ACCESS_CONTRACT',
    check: 'CHECK_ACCESS_CONTRACT',
    step: 'STP_IMPORT_ACCESS_CONTRACT',
    format: 'JSON',
  },
  'management-contracts': {
    op: 'IMPORT_MANAGEMENT_CONTRACT',
    check: 'CHECK_MANAGEMENT_CONTRACT',
    step: 'STP_IMPORT_MANAGEMENT_CONTRACT',
    format: 'JSON',
  },
  profiles: { op: 'IMPORT_PROFILE', check: 'CHECK_PROFILE', step: 'STP_IMPORT_PROFILE_JSON', format: 'JSON' },
  'archive-unit-profiles': {
    op: 'IMPORT_ARCHIVE_UNIT_PROFILE',
    check: 'CHECK_ARCHIVE_UNIT_PROFILE',
    step: 'STP_IMPORT_ARCHIVEUNITPROFILE',
    format: 'JSON',
  },
}

export const DEFAULTS_OPERATION = 'IMPORT_DEFAULT_REFERENTIALS'

/** Identifier prefixes Vitam uses when it assigns identifiers itself. */
const ID_PREFIX: Readonly<Record<JsonReferentialKind, string>> = {
  'ingest-contracts': 'IC',
  'access-contracts': 'AC',
  'management-contracts': 'MC',
  profiles: 'PR',
  'archive-unit-profiles': 'AUP',
}

const LISTED_IDS = 1000

interface Applied {
  readonly kind: ReferentialKind
  readonly entries: number
  readonly created: string[]
  readonly updated: string[]
  readonly deleted: string[]
  readonly unchanged: number
  /** Deleted entries, and entries whose meaning changed (a rule changing category): checked for use. */
  readonly toCheck: string[]
  readonly refs: readonly RefUse[]
}

/** Called with the ids of entries whose definition changed; returns the events to log. */
export type ChangeHook = (
  trx: Executor,
  tenantId: string,
  changedIds: readonly string[],
  agent: string,
) => Promise<OperationEvent[]>

interface Checker {
  readonly fn: InUseChecker
  readonly label: string
}

/**
 * Vitam-format referential import with Vitam's REPLACE semantics: the tenant's referential of a kind is
 * replaced as a whole, in one transaction with its logbook operation; a file with any error, or whose
 * import would delete an entry still in use, is refused whole and nothing changes (the refusal itself is
 * logged as a KO operation).
 */
export class ReferentialService {
  private readonly repo: ReferentialRepository
  private readonly checkers = new Map<ReferentialKind, Checker[]>()
  private readonly resolvers = new Map<ReferenceTarget, ReferenceResolver>()
  private readonly changeHooks = new Map<ReferentialKind, ChangeHook[]>()
  private readonly strategies: ReadonlySet<string>

  constructor(private readonly deps: ReferentialDeps) {
    this.repo = new ReferentialRepository(deps.db)
    this.strategies = new Set(deps.storageStrategies ?? ['default'])
    // Within the referentials: contracts point to agencies, profiles and management contracts.
    this.registerInUseChecker(
      'agencies',
      (trx, t, ids) => this.usedBy(trx, t, 'access-contracts', ['OriginatingAgencies'], ids),
      {
        label: 'des contrats d’accès',
      },
    )
    this.registerInUseChecker(
      'profiles',
      (trx, t, ids) => this.usedBy(trx, t, 'ingest-contracts', ['ArchiveProfiles'], ids),
      {
        label: 'des contrats d’entrée',
      },
    )
    this.registerInUseChecker(
      'management-contracts',
      (trx, t, ids) => this.usedBy(trx, t, 'ingest-contracts', ['ManagementContractId'], ids),
      { label: 'des contrats d’entrée' },
    )
  }

  /**
   * Lets another module refuse imports that would delete (or, for rules, re-categorise) entries it still
   * uses: archive units using a rule, an ingest using a contract… Returns a function that unregisters it.
   */
  registerInUseChecker(
    kind: ReferentialKind,
    fn: InUseChecker,
    options: { label?: string } = {},
  ): () => void {
    const entry: Checker = { fn, label: options.label ?? 'd’autres données' }
    const list = this.checkers.get(kind) ?? []
    list.push(entry)
    this.checkers.set(kind, list)
    return () => {
      const l = this.checkers.get(kind) ?? []
      this.checkers.set(
        kind,
        l.filter((c) => c !== entry),
      )
    }
  }

  /**
   * Lets another module react, inside the import's transaction and logged operation, to entries whose
   * definition changed (the rules module recomputes end dates); the events it returns are logged.
   */
  registerChangeHook(kind: ReferentialKind, fn: ChangeHook): void {
    this.changeHooks.set(kind, [...(this.changeHooks.get(kind) ?? []), fn])
  }

  private async runChangeHooks(
    trx: Executor,
    tenantId: string,
    applied: readonly Applied[],
    agent: string,
  ): Promise<OperationEvent[]> {
    const events: OperationEvent[] = []
    for (const a of applied) {
      if (a.updated.length === 0) continue
      for (const h of this.changeHooks.get(a.kind) ?? []) {
        events.push(...(await h(trx, tenantId, a.updated, agent)))
      }
    }
    return events
  }

  /** Resolves references to archive units (RootUnits, LinkParentId…) or ontology fields (AUP schemas). */
  registerReferenceResolver(target: ReferenceTarget, fn: ReferenceResolver): () => void {
    this.resolvers.set(target, fn)
    return () => {
      if (this.resolvers.get(target) === fn) this.resolvers.delete(target)
    }
  }

  /** Imports a Vitam-format file, replacing the tenant's referential of that kind. */
  async import(
    tenantId: string,
    kind: ReferentialKind,
    bytes: Uint8Array,
    agent: string,
  ): Promise<ImportResult> {
    this.requireKind(kind)
    await this.requireTenant(tenantId)
    const voc = VOCABULARY[kind]
    const parsed = parseReferentialFile(kind, bytes)
    const sha512 = createHash('sha512').update(bytes).digest('hex')
    if (!parsed.ok) {
      throw await this.logRefusal(
        tenantId,
        voc.op,
        agent,
        [kind],
        invalidReferential(kind, parsed.errors, parsed.total),
        sha512,
      )
    }
    try {
      const { result } = await this.deps.audit.inOperation(
        { tenantId, type: voc.op, agent },
        async (trx, op) => {
          await this.lock(trx, tenantId)
          const now = this.deps.clock.now().toISOString()
          const applied = await this.apply(trx, tenantId, parsed.value, now)
          await this.verify(trx, tenantId, [applied])
          const events = this.successEvents(applied, agent, { sha512, bytes: bytes.length })
          events.push(...(await this.runChangeHooks(trx, tenantId, [applied], agent)))
          const result: ImportResult = { tenantId, operationId: op.id, ...this.counts(applied) }
          return { result, events, summary: { ...this.summary(applied), sha512 } }
        },
      )
      return result
    } catch (e) {
      throw await this.logRefusal(tenantId, voc.op, agent, [kind], e, sha512)
    }
  }

  /**
   * Merges a rules CSV into the tenant's rules referential (rules of the file created or replaced, the
   * others kept), as ONE logged operation of type `operationType`. `within` runs first in the same
   * transaction (the rules module stores the rules' extra metadata there) and may name rules whose
   * meaning changed without their CSV line changing; change hooks then run on those and the updated ones.
   */
  async mergeRules(
    tenantId: string,
    bytes: Uint8Array,
    agent: string,
    opts: {
      operationType: string
      data?: Record<string, unknown>
      within?: (trx: Executor) => Promise<{ events: OperationEvent[]; changedIds: readonly string[] }>
    },
  ): Promise<ImportResult> {
    await this.requireTenant(tenantId)
    const parsed = parseReferentialFile('rules', bytes)
    const sha512 = createHash('sha512').update(bytes).digest('hex')
    if (!parsed.ok || parsed.value.kind !== 'rules') {
      throw await this.logRefusal(
        tenantId,
        opts.operationType,
        agent,
        ['rules'],
        invalidReferential('rules', parsed.ok ? [] : parsed.errors, parsed.ok ? 0 : parsed.total),
        sha512,
      )
    }
    const fileEntries = parsed.value.entries
    try {
      const { result } = await this.deps.audit.inOperation(
        { tenantId, type: opts.operationType, agent },
        async (trx, op) => {
          await this.lock(trx, tenantId)
          const now = this.deps.clock.now().toISOString()
          const inFile = new Set(fileEntries.map((e) => e.ruleId))
          const kept = (await this.repo.listRules(trx, tenantId))
            .filter((r) => !inFile.has(r.ruleId))
            .map((r) => ({
              line: 0,
              ruleId: r.ruleId,
              ruleType: r.ruleType,
              ruleValue: r.ruleValue,
              ruleDescription: r.ruleDescription,
              ruleDuration: r.ruleDuration,
              ruleMeasurement: r.ruleMeasurement,
            }))
          const before = opts.within ? await opts.within(trx) : { events: [], changedIds: [] }
          const applied = await this.apply(
            trx,
            tenantId,
            { kind: 'rules', entries: [...fileEntries, ...kept] },
            now,
          )
          await this.verify(trx, tenantId, [applied])
          const events = this.successEvents(applied, agent, { sha512, bytes: bytes.length, ...opts.data })
          events.push(...before.events)
          const changed = [...new Set([...applied.updated, ...before.changedIds])]
          events.push(
            ...(await this.runChangeHooks(trx, tenantId, [{ ...applied, updated: changed }], agent)),
          )
          const result: ImportResult = { tenantId, operationId: op.id, ...this.counts(applied) }
          return { result, events, summary: { ...this.summary(applied), sha512, ...opts.data } }
        },
      )
      return result
    } catch (e) {
      throw await this.logRefusal(tenantId, opts.operationType, agent, ['rules'], e, sha512)
    }
  }

  /**
   * Loads the default referentials shipped with SAEH (agencies, rules, one ingest and one access
   * contract) into a tenant, each with REPLACE semantics, all in one operation: loading them again
   * changes nothing. Profiles and management contracts are left as they are.
   */
  async loadDefaults(tenantId: string, agent: string): Promise<LoadDefaultsResult> {
    await this.requireTenant(tenantId)
    const files = await readDefaultFiles(this.deps.defaultsDir)
    const parsedFiles: ParsedFile[] = []
    for (const f of files) {
      const p = parseReferentialFile(f.kind, f.bytes)
      if (!p.ok) {
        throw new AppError(
          'REFERENTIAL_DEFAULTS_BROKEN',
          'internal',
          `Le référentiel par défaut ${f.file} livré avec SAEH est invalide : ${p.errors[0]?.message ?? ''}`,
          { file: f.file, errors: p.errors },
        )
      }
      parsedFiles.push(p.value)
    }
    try {
      const { result } = await this.deps.audit.inOperation(
        { tenantId, type: DEFAULTS_OPERATION, agent },
        async (trx, op) => {
          await this.lock(trx, tenantId)
          const now = this.deps.clock.now().toISOString()
          const applied: Applied[] = []
          for (const p of parsedFiles) applied.push(await this.apply(trx, tenantId, p, now))
          await this.verify(trx, tenantId, applied)
          const events = applied.flatMap((a, i) =>
            this.successEvents(a, agent, {
              file: files[i]!.file,
              sha512: createHash('sha512').update(files[i]!.bytes).digest('hex'),
              bytes: files[i]!.bytes.length,
            }),
          )
          events.push(...(await this.runChangeHooks(trx, tenantId, applied, agent)))
          const result: LoadDefaultsResult = {
            tenantId,
            operationId: op.id,
            results: applied.map((a) => ({ tenantId, ...this.counts(a) })),
          }
          return { result, events, summary: { defaults: applied.map((a) => this.summary(a)) } }
        },
      )
      return result
    } catch (e) {
      throw await this.logRefusal(
        tenantId,
        DEFAULTS_OPERATION,
        agent,
        parsedFiles.map((p) => p.kind),
        e,
        null,
      )
    }
  }

  /** The tenant's referential of a kind, ordered by identifier (code point order, the same on both dialects). */
  async list<K extends ReferentialKind>(tenantId: string, kind: K): Promise<EntryOf<K>[]> {
    this.requireKind(kind)
    const db = this.deps.db.kysely
    if (kind === 'rules') return (await this.repo.listRules(db, tenantId)) as EntryOf<K>[]
    if (kind === 'agencies') return (await this.repo.listAgencies(db, tenantId)) as EntryOf<K>[]
    return (await this.repo.listEntries(db, tenantId, kind as JsonReferentialKind)) as EntryOf<K>[]
  }

  /** One entry; REFERENTIAL_ENTRY_NOT_FOUND when the tenant has none with that identifier. */
  async get<K extends ReferentialKind>(tenantId: string, kind: K, id: string): Promise<EntryOf<K>> {
    this.requireKind(kind)
    const db = this.deps.db.kysely
    const found =
      kind === 'rules'
        ? await this.repo.findRule(db, tenantId, id)
        : kind === 'agencies'
          ? await this.repo.findAgency(db, tenantId, id)
          : await this.repo.findEntry(db, tenantId, kind as JsonReferentialKind, id)
    if (!found) {
      throw new AppError(
        'REFERENTIAL_ENTRY_NOT_FOUND',
        'not_found',
        `« ${id} » est absent du référentiel ${kindLabel(kind)}`,
        { kind, identifier: id, en: `No ${kind} entry "${id}" in this tenant` },
      )
    }
    return found as EntryOf<K>
  }

  /** A rule of the tenant, or null: what ingest and rule computation look up. */
  async getRule(tenantId: string, ruleId: string, trx?: Executor): Promise<RuleEntry | null> {
    return (await this.repo.findRule(trx ?? this.deps.db.kysely, tenantId, ruleId)) ?? null
  }

  // ------------------------------------------------------------------ internals

  private requireKind(kind: string): void {
    if (!isReferentialKind(kind)) {
      throw new AppError(
        'REFERENTIAL_KIND_UNKNOWN',
        'invalid',
        `Référentiel inconnu « ${kind} » : ${REFERENTIAL_KINDS.join(', ')}`,
        { kind, expected: REFERENTIAL_KINDS },
      )
    }
  }

  private async requireTenant(tenantId: string): Promise<void> {
    if (!(await this.repo.tenantExists(this.deps.db.kysely, tenantId)))
      throw TenancyErrors.tenantNotFound(tenantId)
  }

  private async lock(trx: Executor, tenantId: string): Promise<void> {
    if (!(await this.repo.lockTenant(trx, tenantId))) throw TenancyErrors.tenantNotFound(tenantId)
  }

  /** Writes the difference between the file and the stored referential; returns what changed. */
  private async apply(trx: Executor, tenantId: string, file: ParsedFile, now: string): Promise<Applied> {
    const created: string[] = []
    const updated: string[] = []
    const toCheck: string[] = []
    let unchanged = 0
    if (file.kind === 'rules') {
      const existing = new Map((await this.repo.listRules(trx, tenantId)).map((r) => [r.ruleId, r]))
      const inserts: RuleData[] = []
      for (const p of file.entries) {
        const next: RuleData = {
          ruleId: p.ruleId,
          ruleType: p.ruleType,
          ruleValue: p.ruleValue,
          ruleDescription: p.ruleDescription,
          ruleDuration: p.ruleDuration,
          ruleMeasurement: p.ruleMeasurement,
        }
        const old = existing.get(p.ruleId)
        if (!old) {
          inserts.push(next)
          created.push(p.ruleId)
        } else if (
          old.ruleType !== next.ruleType ||
          old.ruleValue !== next.ruleValue ||
          old.ruleDescription !== next.ruleDescription ||
          old.ruleDuration !== next.ruleDuration ||
          old.ruleMeasurement !== next.ruleMeasurement
        ) {
          await this.repo.updateRule(trx, tenantId, next, now)
          updated.push(p.ruleId)
          if (old.ruleType !== next.ruleType) toCheck.push(p.ruleId)
        } else unchanged += 1
      }
      const inFile = new Set(file.entries.map((e) => e.ruleId))
      const deleted = [...existing.keys()].filter((id) => !inFile.has(id))
      await this.repo.deleteRules(trx, tenantId, deleted)
      await this.repo.insertRules(trx, tenantId, inserts, now)
      return {
        kind: 'rules',
        entries: file.entries.length,
        created,
        updated,
        deleted,
        unchanged,
        toCheck: [...deleted, ...toCheck],
        refs: [],
      }
    }
    if (file.kind === 'agencies') {
      const existing = new Map((await this.repo.listAgencies(trx, tenantId)).map((a) => [a.identifier, a]))
      const inserts: AgencyData[] = []
      for (const p of file.entries) {
        const next: AgencyData = {
          identifier: p.identifier,
          name: p.name,
          description: p.description,
          extra: p.extra,
        }
        const old = existing.get(p.identifier)
        if (!old) {
          inserts.push(next)
          created.push(p.identifier)
        } else if (
          old.name !== next.name ||
          old.description !== next.description ||
          canonicalJson(old.extra) !== canonicalJson(next.extra)
        ) {
          await this.repo.updateAgency(trx, tenantId, next, now)
          updated.push(p.identifier)
        } else unchanged += 1
      }
      const inFile = new Set(file.entries.map((e) => e.identifier))
      const deleted = [...existing.keys()].filter((id) => !inFile.has(id))
      await this.repo.deleteAgencies(trx, tenantId, deleted)
      await this.repo.insertAgencies(trx, tenantId, inserts, now)
      return {
        kind: 'agencies',
        entries: file.entries.length,
        created,
        updated,
        deleted,
        unchanged,
        toCheck: deleted,
        refs: [],
      }
    }
    const kind = file.kind
    const stored = await this.repo.listEntries(trx, tenantId, kind)
    const existing = new Map(stored.map((x) => [x.identifier, x]))
    const ids = this.assignIdentifiers(kind, file.entries, stored)
    const inserts: EntryData[] = []
    const updates: EntryData[] = []
    file.entries.forEach((p, i) => {
      const identifier = ids[i]!
      const next: EntryData = {
        identifier,
        name: p.name,
        status: p.status,
        body: { Identifier: identifier, ...p.body },
      }
      const old = existing.get(identifier)
      if (!old) {
        inserts.push(next)
        created.push(identifier)
      } else if (
        old.name !== next.name ||
        old.status !== next.status ||
        canonicalJson(old.body) !== canonicalJson(next.body)
      ) {
        updates.push(next)
        updated.push(identifier)
      } else unchanged += 1
    })
    for (const next of updates) await this.repo.updateEntry(trx, tenantId, kind, next, now)
    const inFile = new Set(ids)
    const deleted = [...existing.keys()].filter((id) => !inFile.has(id))
    await this.repo.deleteEntries(trx, tenantId, kind, deleted)
    await this.repo.insertEntries(trx, tenantId, kind, inserts, now)
    return {
      kind,
      entries: file.entries.length,
      created,
      updated,
      deleted,
      unchanged,
      toCheck: deleted,
      refs: file.entries.flatMap((e) => e.refs),
    }
  }

  /**
   * Entries without an Identifier get one as Vitam would (IC-000001…). To keep re-imports stable, an
   * entry whose Name matches exactly one stored entry (and no other entry of the file) keeps that
   * entry's identifier.
   */
  private assignIdentifiers(
    kind: JsonReferentialKind,
    entries: readonly ParsedJsonEntry[],
    stored: readonly JsonEntry[],
  ): string[] {
    const explicit = new Set(entries.map((e) => e.identifier).filter((x): x is string => x !== null))
    const storedByName = new Map<string, string[]>()
    for (const s of stored) storedByName.set(s.name, [...(storedByName.get(s.name) ?? []), s.identifier])
    const fileNames = new Map<string, number>()
    for (const e of entries)
      if (e.identifier === null) fileNames.set(e.name, (fileNames.get(e.name) ?? 0) + 1)
    const taken = new Set([...explicit, ...stored.map((s) => s.identifier)])
    const prefix = ID_PREFIX[kind]
    const pattern = new RegExp(`^${prefix}-(\\d+)$`)
    let next = 0
    for (const id of taken) {
      const m = pattern.exec(id)
      if (m) next = Math.max(next, Number(m[1]))
    }
    const used = new Set(explicit)
    return entries.map((e) => {
      if (e.identifier !== null) return e.identifier
      const same = storedByName.get(e.name)
      if (same && same.length === 1 && fileNames.get(e.name) === 1 && !used.has(same[0]!)) {
        used.add(same[0]!)
        return same[0]!
      }
      let id: string
      do {
        next += 1
        id = `${prefix}-${String(next).padStart(6, '0')}`
      } while (taken.has(id) || used.has(id))
      used.add(id)
      return id
    })
  }

  /** After the writes: every reference resolves, and nothing removed is still in use. */
  private async verify(trx: Executor, tenantId: string, applied: readonly Applied[]): Promise<void> {
    for (const a of applied) {
      if (a.refs.length === 0) continue
      const errors = await this.unresolved(trx, tenantId, a.refs)
      if (errors.length > 0) throw invalidReferential(a.kind, errors)
    }
    for (const a of applied) {
      if (a.toCheck.length === 0) continue
      const usedBy = new Map<string, string[]>()
      for (const c of this.checkers.get(a.kind) ?? []) {
        for (const id of await c.fn(trx, tenantId, a.toCheck))
          usedBy.set(id, [...(usedBy.get(id) ?? []), c.label])
      }
      if (usedBy.size > 0) throw inUse(a.kind, usedBy, a.deleted)
    }
  }

  private async unresolved(
    trx: Executor,
    tenantId: string,
    refs: readonly RefUse[],
  ): Promise<ReferentialError[]> {
    const byTarget = new Map<RefTarget, RefUse[]>()
    for (const r of refs) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r])
    const errors: ReferentialError[] = []
    for (const [target, uses] of byTarget) {
      const ids = [...new Set(uses.map((u) => u.id))]
      let known: ReadonlySet<string> | null
      switch (target) {
        case 'agencies':
          known = await this.repo.existingAgencies(trx, tenantId, ids)
          break
        case 'profiles':
        case 'management-contracts':
          known = await this.repo.existingEntries(trx, tenantId, target, ids)
          break
        case 'formats':
          known = await this.repo.existingFormats(trx, ids)
          break
        case 'strategies':
          known = this.strategies
          break
        case 'units':
        case 'ontology': {
          const resolver = this.resolvers.get(target)
          if (resolver) known = new Set(await resolver(trx, tenantId, ids))
          else known = target === 'units' ? new Set() : null
          break
        }
      }
      if (known === null) continue
      for (const u of uses) {
        if (!known.has(u.id)) {
          errors.push({
            line: u.line,
            column: u.column,
            field: u.field,
            code: 'REFERENCE_UNKNOWN',
            message: this.unknownMessage(target, u.id),
          })
        }
      }
    }
    return errors.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0))
  }

  private unknownMessage(target: RefTarget, id: string): string {
    switch (target) {
      case 'agencies':
        return `Service agent « ${id} » absent du référentiel des services agents du service d’archives`
      case 'profiles':
        return `Profil d’archivage « ${id} » absent du référentiel des profils : importez-le d’abord`
      case 'management-contracts':
        return `Contrat de gestion « ${id} » absent du référentiel des contrats de gestion : importez-le d’abord`
      case 'formats':
        return `Format « ${id} » absent du référentiel des formats (PRONOM)`
      case 'strategies':
        return `Stratégie de stockage « ${id} » inconnue : ${[...this.strategies].join(', ')} disponible(s)`
      case 'units':
        return `Unité archivistique « ${id} » inconnue dans ce service d’archives`
      case 'ontology':
        return `Champ « ${id} » absent de l’ontologie`
    }
  }

  private async usedBy(
    trx: Executor,
    tenantId: string,
    kind: JsonReferentialKind,
    fields: readonly string[],
    ids: readonly string[],
  ): Promise<string[]> {
    const wanted = new Set(ids)
    const used = new Set<string>()
    for (const entry of await this.repo.listEntries(trx, tenantId, kind)) {
      for (const f of fields) {
        const v = entry.body[f]
        for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && wanted.has(x)) used.add(x)
      }
    }
    return [...used]
  }

  private counts(a: Applied): Omit<ImportResult, 'operationId' | 'tenantId'> {
    return {
      kind: a.kind,
      created: a.created.length,
      updated: a.updated.length,
      deleted: a.deleted.length,
      unchanged: a.unchanged,
      total: a.entries,
      identifiers: { created: a.created, updated: a.updated, deleted: a.deleted },
    }
  }

  private summary(a: Applied): Record<string, unknown> {
    return {
      kind: a.kind,
      created: a.created.length,
      updated: a.updated.length,
      deleted: a.deleted.length,
      unchanged: a.unchanged,
      total: a.entries,
    }
  }

  private successEvents(a: Applied, agent: string, file: Record<string, unknown>): OperationEvent[] {
    const voc = VOCABULARY[a.kind]
    const n = a.entries
    return [
      {
        type: voc.check,
        outcome: 'OK',
        detail: `${voc.check}.OK`,
        agent,
        message: `Fichier ${voc.format} valide : ${n} entrée${n > 1 ? 's' : ''} pour le référentiel ${kindLabel(a.kind)}`,
        data: { kind: a.kind, entries: n, ...file },
      },
      {
        type: voc.step,
        outcome: 'OK',
        detail: `${voc.step}.OK`,
        agent,
        message:
          `Référentiel ${kindLabel(a.kind)} remplacé : ${a.created.length} créée(s), ${a.updated.length} modifiée(s), ` +
          `${a.deleted.length} supprimée(s), ${a.unchanged} inchangée(s)`,
        data: {
          ...this.summary(a),
          createdIds: a.created.slice(0, LISTED_IDS),
          updatedIds: a.updated.slice(0, LISTED_IDS),
          deletedIds: a.deleted.slice(0, LISTED_IDS),
        },
      },
    ]
  }

  /**
   * Records a refused import as a KO operation (in its own transaction: the referential is untouched)
   * and returns the error to throw, with the operation id added to its details.
   */
  private async logRefusal(
    tenantId: string,
    opType: string,
    agent: string,
    kinds: readonly ReferentialKind[],
    e: unknown,
    sha512: string | null,
  ): Promise<unknown> {
    if (!isAppError(e) || (e.code !== 'REFERENTIAL_INVALID' && e.code !== 'REFERENTIAL_IN_USE')) return e
    const kind = (e.details?.kind as ReferentialKind | undefined) ?? kinds[0]!
    const voc = VOCABULARY[kind]
    const invalid = e.code === 'REFERENTIAL_INVALID'
    const errors = (e.details?.errors as ReferentialError[] | undefined) ?? []
    const reference = errors.length > 0 && errors.every((x) => x.code === 'REFERENCE_UNKNOWN')
    const events: OperationEvent[] = invalid
      ? [
          {
            type: voc.check,
            outcome: 'KO',
            detail: `${voc.check}.${reference ? 'UNKNOWN_REFERENCE' : `INVALID_${voc.format}`}.KO`,
            agent,
            message: e.message,
            data: {
              kind,
              errorCount: e.details?.errorCount ?? errors.length,
              errors: errors.slice(0, 50),
              sha512,
            },
          },
        ]
      : [
          {
            type: voc.step,
            outcome: 'KO',
            detail: `${voc.step}.DELETION.KO`,
            agent,
            message: e.message,
            data: { kind, inUse: e.details?.inUse ?? [], sha512 },
          },
        ]
    try {
      const { operation } = await this.deps.audit.inOperation(
        { tenantId, type: opType, agent },
        async () => ({
          result: null,
          events,
          summary: { kind, refused: e.code },
        }),
      )
      return new AppError(
        e.code,
        e.kind,
        e.message,
        { ...e.details, operationId: operation.id },
        { cause: e },
      )
    } catch {
      return e
    }
  }
}

function inUse(
  kind: ReferentialKind,
  usedBy: ReadonlyMap<string, string[]>,
  deleted: readonly string[],
): AppError {
  const removed = new Set(deleted)
  const list = [...usedBy.entries()].map(([identifier, by]) => ({
    identifier,
    change: removed.has(identifier) ? 'deleted' : 'modified',
    usedBy: [...new Set(by)],
  }))
  const shown = list
    .slice(0, 10)
    .map(
      (x) =>
        `${x.identifier} (${x.change === 'deleted' ? 'supprimé' : 'changé de catégorie'}, utilisé par ${x.usedBy.join(' et ')})`,
    )
    .join(', ')
  return new AppError(
    'REFERENTIAL_IN_USE',
    'conflict',
    `Import du référentiel ${kindLabel(kind)} refusé : il supprimerait ou modifierait des entrées encore utilisées : ${shown}${list.length > 10 ? '…' : ''}`,
    {
      kind,
      inUse: list,
      en: `The import would delete or re-categorise ${list.length} ${kind} entr${list.length > 1 ? 'ies' : 'y'} still in use; nothing was changed.`,
    },
  )
}
