import { createWriteStream, readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { blobKeyFor } from '../modules/ingest/index.js'
import type { ObjectRecord } from '../modules/catalog/index.js'
import { Command, CommanderError, Option } from 'commander'
import { loadConfig } from '../config/config.js'
import { buildContainer, type Container } from '../main/container.js'
import { explainMissingUnit } from '../main/departure.js'
import { initInstance, DEFAULT_TENANT } from '../main/instance.js'
import { startServer } from '../main/server.js'
import { VERSION } from '../main/version.js'
import { silentLogger, createLogger } from '../platform/log.js'
import { migrateToLatest } from '../platform/db/migrate.js'
import {
  ROLES,
  SYSTEM_PRINCIPAL,
  TenancyErrors,
  isPlatformAdmin,
  type Principal,
} from '../modules/tenancy/index.js'
import { importFormatReferential } from '../modules/formats/index.js'
import { REFERENTIAL_KINDS, isReferentialKind } from '../modules/referential/index.js'
import { AppError } from '../platform/errors.js'
import { AUDIT_TYPES, type AuditReport, type AuditType } from '../modules/fixity/index.js'
import { parseSearchParams, SearchErrors, MAX_PAGE } from '../modules/search/index.js'
import { emit, emitError, usageError, type OutputOptions } from './output.js'
import { registerLifecycleCommands } from './lifecycle.commands.js'
import { registerEliminationCommands } from './elimination.commands.js'
import { registerAccessCommands } from './access.commands.js'
import { registerPhysicalCommands } from './physical.commands.js'
import { registerProofCommands } from './proof.commands.js'

interface GlobalOptions extends OutputOptions {
  readonly home?: string
  readonly as?: string
}

type Action<O> = (c: Container, actor: Principal, opts: O & GlobalOptions) => Promise<void>

/** Opens the instance (configuration from the environment and --home), runs the action, closes it. */
async function withInstance<O>(cmd: Command, opts: O, fn: Action<O>): Promise<void> {
  const g = { ...cmd.optsWithGlobals(), ...opts } as O & GlobalOptions
  const config = loadConfig(process.env, g.home ? { home: g.home } : {})
  const c = await buildContainer(config, { log: silentLogger() })
  try {
    const actor = g.as ? await c.tenancy.principalByName(g.as) : SYSTEM_PRINCIPAL
    await fn(c, actor, g)
  } finally {
    await c.close()
  }
}

/** Reads a file named on the command line; a missing or unreadable one is refused by name. */
function readInputFile(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new AppError(
      'FILE_UNREADABLE',
      'invalid',
      `Fichier illisible : ${file} (${(e as Error).message})`,
      { file },
    )
  }
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '')
  } catch {
    throw usageError('--password-stdin : impossible de lire l’entrée standard')
  }
}

export function buildProgram(): Command {
  const program = new Command('saeh')
    .description("SAEH — système d'archivage électronique hybride (archives numériques et physiques)")
    .version(VERSION)
    .option('--home <dir>', 'dossier de données de l’instance (SAEH_HOME)')
    .option('--json', 'un seul document JSON sur la sortie standard')
    .option('--as <user>', 'agir en tant que cet utilisateur, avec ses droits')
    .showHelpAfterError()
    .exitOverride()

  program
    .command('init')
    .description('crée l’instance si elle manque (idempotent) : base, service « default », administrateur')
    .action(async function (this: Command) {
      await withInstance(this, {}, async (c, _a, o) => {
        const r = await initInstance(c)
        emit(o, { ok: true, home: c.config.home, database: c.config.database.dialect, ...r }, () =>
          [
            `Instance prête (${c.config.database.dialect}, ${c.config.home}).`,
            r.createdTenant ? `Service d'archives « ${DEFAULT_TENANT} » créé.` : '',
            r.admin ? adminBanner(r.admin) : 'Administrateur déjà créé.',
          ]
            .filter(Boolean)
            .join('\n'),
        )
      })
    })

  program
    .command('serve')
    .description('démarre l’API, le worker et l’interface web')
    .option('--port <n>', 'port HTTP (SAEH_PORT, 8080 par défaut)')
    .action(async function (this: Command, o: { port?: string }) {
      const g = this.optsWithGlobals() as GlobalOptions
      const config = loadConfig(process.env, g.home ? { home: g.home } : {})
      const port = o.port !== undefined ? Number(o.port) : config.port
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw usageError(`--port : port invalide ${o.port}`)
      const c = await buildContainer(config, { log: createLogger(config.logLevel) })
      const r = await initInstance(c)
      if (r.admin) process.stdout.write(`${adminBanner(r.admin)}\n`)
      await startServer(c, { port })
    })

  program
    .command('migrate')
    .description('applique les migrations de la base de données')
    .action(async function (this: Command) {
      const g = this.optsWithGlobals() as GlobalOptions
      const config = loadConfig(process.env, g.home ? { home: g.home } : {})
      const c = await buildContainer(config, { log: silentLogger(), migrate: false })
      try {
        const r = await migrateToLatest(c.db)
        emit(g, { ok: true, applied: r.applied }, () =>
          r.applied.length ? `Migrations appliquées : ${r.applied.join(', ')}` : 'Base déjà à jour.',
        )
      } finally {
        await c.close()
      }
    })

  const tenant = program.command('tenant').description('services d’archives (tenants)')
  tenant
    .command('create <id>')
    .description('crée un service d’archives (archives départementales, commune…)')
    .requiredOption('--name <name>', 'nom du service')
    .option('--controlled-by <id>', 'service qui exerce le contrôle scientifique et technique')
    .action(async function (this: Command, id: string, o: { name: string; controlledBy?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const t = await c.tenancy.createTenant(actor, {
          id,
          name: o.name,
          controlledBy: o.controlledBy ?? null,
        })
        emit(
          g,
          t,
          () =>
            `Service créé : ${t.id} (${t.name})${t.controlledBy ? `, contrôlé par ${t.controlledBy}` : ''}`,
        )
      })
    })
  tenant
    .command('list')
    .description('liste les services d’archives')
    .action(async function (this: Command) {
      await withInstance(this, {}, async (c, actor, g) => {
        const list = await c.tenancy.listTenants(actor)
        emit(g, { total: list.length, results: list }, () =>
          list
            .map((t) => `${t.id}\t${t.name}${t.controlledBy ? `\t(contrôlé par ${t.controlledBy})` : ''}`)
            .join('\n'),
        )
      })
    })

  const referential = program
    .command('referential')
    .description('référentiels (règles, services producteurs, contrats, profils)')
  referential
    .command('import <kind> <file>')
    .description(
      `importe un fichier au format Vitam et remplace le référentiel du service (${REFERENTIAL_KINDS.join(', ')}), ou celui de la plate-forme (formats : fichier de signatures DROID)`,
    )
    .option('--tenant <id>', 'service d’archives (sauf pour formats)')
    .action(async function (this: Command, kind: string, file: string, o: { tenant?: string }) {
      if (kind !== 'formats' && !isReferentialKind(kind))
        throw usageError(
          `référentiel inconnu « ${kind} » ; possibles : ${REFERENTIAL_KINDS.join(', ')}, formats`,
        )
      const bytes = readInputFile(file)
      if (kind === 'formats') {
        await withInstance(this, o, async (c, actor, g) => {
          if (!isPlatformAdmin(actor)) {
            throw new AppError(
              'FORBIDDEN',
              'forbidden',
              'Le référentiel des formats est celui de la plate-forme : réservé à son administrateur',
            )
          }
          const r = await importFormatReferential({ db: c.db, audit: c.audit }, bytes, actor.id)
          emit(
            g,
            r,
            () =>
              `Référentiel des formats importé (signatures v${r.version}) : ${r.total} formats (${r.created} créés, ${r.updated} modifiés, ${r.deleted} supprimés) — opération ${r.operationId}`,
          )
        })
        return
      }
      const tenantId = o.tenant
      if (!tenantId) throw usageError('--tenant est requis pour ce référentiel')
      if (!isReferentialKind(kind)) return
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, tenantId, 'referential.write')
        const r = await c.referential.import(tenantId, kind, bytes, actor.id)
        emit(
          g,
          r,
          () =>
            `Référentiel ${kind} importé pour ${tenantId} : ${r.total} entrées (${r.created} créées, ${r.updated} modifiées, ${r.deleted} supprimées, ${r.unchanged} inchangées) — opération ${r.operationId}`,
        )
      })
    })
  referential
    .command('attach <what> <id> <file>')
    .description('attache le schéma RNG ou XSD d’un profil d’archivage (« attach profile ID FICHIER »)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, what: string, id: string, file: string, o: { tenant: string }) {
      if (what !== 'profile')
        throw usageError(`« attach ${what} » inconnu : seul « attach profile ID FICHIER » existe`)
      const bytes = readInputFile(file)
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'referential.write')
        const r = await c.profiles.attach(o.tenant, id, bytes, basename(file), actor.id)
        emit(g, r, () => `Schéma ${r.format} attaché au profil ${id} (opération ${r.operationId})`)
      })
    })
  referential
    .command('load-defaults')
    .description(
      'charge les référentiels livrés avec SAEH (règles des communes, délais de communicabilité, contrats)',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'referential.write')
        const r = await c.referential.loadDefaults(o.tenant, actor.id)
        emit(g, r, () =>
          [
            `Référentiels par défaut chargés pour ${o.tenant} (opération ${r.operationId}) :`,
            ...r.results.map(
              (x) =>
                `  ${x.kind} : ${x.total} entrées (${x.created} créées, ${x.updated} modifiées, ${x.deleted} supprimées)`,
            ),
          ].join('\n'),
        )
      })
    })
  referential
    .command('load-preset <name>')
    .description(
      'charge un préréglage de règles (l213-2, communes-retention), fusionné au référentiel des règles',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, name: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'referential.write')
        const r = await c.rules.loadPreset(o.tenant, name, actor.id)
        emit(
          g,
          r,
          () =>
            `Préréglage ${r.preset} chargé pour ${o.tenant} (opération ${r.operationId}) : ${r.total} règles (${r.created} créées, ${r.updated} modifiées)`,
        )
      })
    })
  referential
    .command('list <kind>')
    .description('liste un référentiel du service')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, kind: string, o: { tenant: string }) {
      if (!isReferentialKind(kind))
        throw usageError(`référentiel inconnu « ${kind} » ; possibles : ${REFERENTIAL_KINDS.join(', ')}`)
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'referential.read')
        const list = await c.referential.list(o.tenant, kind)
        emit(g, { total: list.length, results: list }, () =>
          list
            .map((e) => {
              const x = e as { identifier?: string; ruleId?: string; name?: string; ruleValue?: string }
              return `${x.ruleId ?? x.identifier ?? ''}\t${x.ruleValue ?? x.name ?? ''}`
            })
            .join('\n'),
        )
      })
    })

  program
    .command('ingest <file>')
    .description('verse un paquet SEDA (zip, tar, tar.gz) et attend le verdict ; code 1 si refusé')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--contract <id>', 'contrat d’entrée, si le bordereau n’en déclare pas')
    .action(async function (this: Command, file: string, o: { tenant: string; contract?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'ingest.submit')
        try {
          await stat(file)
        } catch {
          throw new AppError('FILE_UNREADABLE', 'invalid', `Paquet introuvable ou illisible : ${file}`, {
            file,
          })
        }
        await c.ingest.recover(60 * 60 * 1000)
        const r = await c.ingest.ingestFile({
          tenantId: o.tenant,
          packagePath: file,
          fileName: basename(file),
          contractId: o.contract ?? null,
          agent: actor.id,
        })
        emit(g, r, () =>
          [
            `Entrée ${r.operationId} : ${r.status} (code ${r.replyCode})`,
            r.status === 'OK' || r.status === 'WARNING'
              ? `  ${r.units} unités, ${r.objects} objets numériques, ${r.physicalObjects} objets physiques, ${r.bytes} octets`
              : '',
            ...r.events
              .filter((e) => e.outcome !== 'OK')
              .map((e) => `  ${e.outcome.padEnd(7)} ${e.type} : ${e.message ?? ''}`),
          ]
            .filter(Boolean)
            .join('\n'),
        )
        if (r.status === 'KO') process.exitCode = 1
        else if (r.status === 'FATAL') process.exitCode = 2
      })
    })

  program
    .command('atr <operationId>')
    .description('affiche l’accusé de réception (ArchiveTransferReply) d’une entrée')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'logbook.read')
        const atr = await c.ingest.atrOf(o.tenant, id)
        emit(g, { operationId: id, atr }, () => atr.trimEnd())
      })
    })

  program
    .command('reindex')
    .description(
      'reconstruit l’index de recherche depuis le catalogue (réparation ; les recherches continuent pendant ce temps)',
    )
    .option('--tenant <id>', 'service d’archives')
    .option('--all', 'tous les services (administrateur de la plate-forme)')
    .action(async function (this: Command, o: { tenant?: string; all?: boolean }) {
      await withInstance(this, o, async (c, actor, g) => {
        if (Boolean(o.all) === (o.tenant !== undefined))
          throw usageError('précisez soit --tenant ID, soit --all')
        if (!isPlatformAdmin(actor))
          throw new AppError(
            'FORBIDDEN',
            'forbidden',
            'Seul un administrateur de la plate-forme peut reconstruire l’index de recherche',
            { command: 'reindex' },
          )
        const tenants: string[] = []
        if (o.tenant !== undefined) {
          if (!(await c.tenancy.findTenant(o.tenant))) throw TenancyErrors.tenantNotFound(o.tenant)
          tenants.push(o.tenant)
        } else tenants.push(...(await c.tenancy.listTenants(actor)).map((t) => t.id))
        const results: { tenantId: string; operationId: string; units: number; missing: number }[] = []
        for (const tenantId of tenants) {
          const progress =
            g.json || !process.stderr.isTTY
              ? {}
              : { onChunk: (n: number) => process.stderr.write(`\r  ${tenantId} : ${n} unité(s)   `) }
          const r = await c.search.rebuildTenant(tenantId, progress)
          const message = `Index de recherche reconstruit : ${r.units} unité(s) réindexée(s), dont ${r.missing} absente(s) de l’index`
          const { operation } = await c.audit.inOperation(
            { tenantId, type: 'SEARCH_REINDEX', agent: actor.id },
            async () => ({
              result: null,
              summary: r,
              events: [
                {
                  type: 'SEARCH_REINDEX',
                  outcome: 'OK',
                  detail: 'SEARCH_REINDEX.OK',
                  agent: actor.id,
                  message,
                  data: r,
                },
              ],
            }),
          )
          results.push({ tenantId, operationId: operation.id, ...r })
        }
        emit(g, { results }, () =>
          results
            .map(
              (r) =>
                `${r.tenantId} : ${r.units} unité(s) réindexée(s), dont ${r.missing} absente(s) de l’index (opération ${r.operationId})`,
            )
            .join('\n'),
        )
      })
    })

  const unit = program.command('unit').description('unités d’archives')
  unit
    .command('show <id>')
    .description('une unité d’archives, ses objets et ses règles')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--access-contract <id>', 'contrat d’accès')
    .action(async function (this: Command, id: string, o: { tenant: string; accessContract?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const ctx = await c.access.context(actor, o.tenant, o.accessContract ?? null)
        // A unit that left says how and when (its tombstone), still as UNIT_NOT_FOUND.
        const a = await c.access.checkUnit(ctx, id).catch(async (err: unknown) => {
          throw await explainMissingUnit(c, ctx, id, err)
        })
        const u = await c.catalog.getUnit(o.tenant, id)
        c.access.record(ctx, 'UNIT_CONSULT', id, a.derogationId ? { derogationId: a.derogationId } : {})
        emit(g, u, () =>
          [
            `${u.title} (${u.descriptionLevel ?? '—'}) — ${u.id}`,
            ...u.objects.map(
              (x) => `  objet ${x.id} ${x.usage ?? ''} ${x.format ?? ''} ${x.size ?? ''} octets`,
            ),
            ...u.rules.map(
              (r) =>
                `  règle ${r.category} ${r.ruleId ?? ''} ${r.startDate ?? ''} → ${r.endDate ?? ''}${r.inherited ? ` (héritée de ${r.origin})` : ''}`,
            ),
            ...(u.communicability ? [`  communicabilité : ${JSON.stringify(u.communicability)}`] : []),
          ].join('\n'),
        )
      })
    })
  unit
    .command('search [query]')
    .description(
      'recherche d’unités : texte (mots, "expressions", préfixe*, -exclusion, champ:valeur), filtres, facettes (docs/search.md)',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--producer <ids>', 'services producteurs (séparés par des virgules)')
    .option('--level <levels>', 'niveaux de description (Fonds, Series, File, Item…)')
    .option('--date <range>', 'dates : 1987, 1987-03, 1980..1990, 1980.., ..1990')
    .option('--appraisal-end <range>', 'fin de DUA dans la plage')
    .option('--final-action <actions>', 'sort final : Keep, Destroy, Conflict, none')
    .option('--communicable <v>', 'yes, no, ou une date AAAA-MM-JJ')
    .option('--kind <kind>', 'digital ou physical')
    .option('--format <puids>', 'formats PRONOM (fmt/18,…)')
    .option('--operation <id>', 'unités d’une entrée')
    .option('--parent <id>', 'enfants directs de cette unité')
    .option('--branch <id>', 'descendants de cette unité')
    .option(
      '--location <id>',
      'unités dont un objet est dans une boîte rangée à cet emplacement (id ou chemin) ou dessous',
    )
    .option('--box <id>', 'unités dont un objet est dans cette boîte (id ou code-barres)')
    .option('--sort <sort>', 'relevance, title, -title, date, -date, created, -created')
    .option('--limit <n>', 'résultats par page (au plus 200)')
    .option('--cursor <cursor>', 'page suivante (nextCursor)')
    .option('--no-facets', 'sans facettes')
    .option('--exact-total', 'compter tous les résultats (au-delà de 10 000, le total est sinon un minimum)')
    .option('--access-contract <id>', 'contrat d’accès')
    .action(async function (this: Command, query: string | undefined, o: Record<string, string | boolean>) {
      await withInstance(this, o as { tenant: string }, async (c, actor, g) => {
        const tenant = String(o.tenant)
        const ctx = await c.access.context(
          actor,
          tenant,
          typeof o.accessContract === 'string' ? o.accessContract : null,
        )
        const names: Record<string, string> = {
          producer: 'producer',
          level: 'level',
          date: 'date',
          appraisalEnd: 'appraisalEnd',
          finalAction: 'finalAction',
          communicable: 'communicable',
          kind: 'kind',
          format: 'format',
          operation: 'operation',
          parent: 'parent',
          branch: 'branch',
          location: 'location',
          box: 'box',
          sort: 'sort',
          limit: 'limit',
          cursor: 'cursor',
        }
        const params: Record<string, string> = {}
        for (const [opt, p] of Object.entries(names)) if (typeof o[opt] === 'string') params[p] = o[opt]
        if (query !== undefined) params.q = query
        if (o.facets === false) params.facets = 'false'
        if (o.exactTotal === true) params.exactTotal = 'true'
        const r = await c.search.search(tenant, parseSearchParams(params), c.access.visibilityOf(ctx))
        c.access.record(ctx, 'UNIT_SEARCH', null, { query: params, total: r.total })
        emit(g, r, () =>
          [
            r.totalIsLowerBound ? `plus de ${r.total} unités` : `${r.total} unité(s)`,
            ...(r.rankedOver !== undefined
              ? [`  (pertinence calculée sur les ${r.rankedOver} premières unités trouvées)`]
              : []),
            ...r.results.map((u) => `  ${u.id}  ${u.title}`),
            ...(r.facets
              ? Object.entries(r.facets as unknown as Record<string, { value: string; count: number }[]>)
                  .filter(([, b]) => b.length > 0)
                  .map(([k, b]) => `  ${k} : ${b.map((x) => `${x.value} (${x.count})`).join(', ')}`)
              : []),
            ...(r.facetsApproximate
              ? [`  (facettes comptées sur les ${r.facetsCountedOver} premières unités trouvées)`]
              : []),
            ...(r.nextCursor ? [`  suite : --cursor ${r.nextCursor}`] : []),
          ].join('\n'),
        )
      })
    })
  for (const [name, desc] of [
    ['children', 'enfants directs d’une unité (par titre)'],
    ['branch', 'descendants d’une unité (par titre)'],
  ] as const) {
    unit
      .command(`${name} <id>`)
      .description(desc)
      .requiredOption('--tenant <id>', 'service d’archives')
      .option('--limit <n>', 'résultats par page (au plus 200)', '50')
      .option('--cursor <cursor>', 'page suivante (nextCursor)')
      .action(async function (
        this: Command,
        id: string,
        o: { tenant: string; limit: string; cursor?: string },
      ) {
        await withInstance(this, o, async (c, actor, g) => {
          const vis = c.access.visibilityOf(await c.access.context(actor, o.tenant, null))
          const page = { limit: cliLimit(o.limit), ...(o.cursor ? { cursor: o.cursor } : {}) }
          const r =
            name === 'children'
              ? await c.search.children(o.tenant, id, page, vis)
              : await c.search.branch(o.tenant, id, page, vis)
          emit(g, r, () =>
            [
              `${r.total} unité(s)`,
              ...r.results.map((u) => `  ${u.id}  ${u.title}`),
              ...(r.nextCursor ? [`  suite : --cursor ${r.nextCursor}`] : []),
            ].join('\n'),
          )
        })
      })
  }
  unit
    .command('roots')
    .description('unités racines du service (sans parent)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--limit <n>', 'résultats par page (au plus 200)', '50')
    .option('--cursor <cursor>', 'page suivante (nextCursor)')
    .action(async function (this: Command, o: { tenant: string; limit: string; cursor?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const vis = c.access.visibilityOf(await c.access.context(actor, o.tenant, null))
        const r = await c.search.roots(
          o.tenant,
          { limit: cliLimit(o.limit), ...(o.cursor ? { cursor: o.cursor } : {}) },
          vis,
        )
        emit(g, r, () =>
          [
            `${r.total} unité(s)`,
            ...r.results.map((u) => `  ${u.id}  ${u.title}`),
            ...(r.nextCursor ? [`  suite : --cursor ${r.nextCursor}`] : []),
          ].join('\n'),
        )
      })
    })
  unit
    .command('ancestors <id>')
    .description('ancêtres d’une unité, du plus proche au plus lointain')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const vis = c.access.visibilityOf(await c.access.context(actor, o.tenant, null))
        const a = await c.search.ancestors(o.tenant, id, vis)
        emit(g, { ancestors: a }, () =>
          a.map((u) => `  ${'  '.repeat(u.depth - 1)}${u.id}  ${u.title}`).join('\n'),
        )
      })
    })

  const object = program.command('object').description('objets')
  object
    .command('get <id>')
    .description('télécharge un objet numérique (empreinte vérifiée)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--out <file>', 'fichier de sortie')
    .option('--access-contract <id>', 'contrat d’accès')
    .action(async function (
      this: Command,
      id: string,
      o: { tenant: string; out: string; accessContract?: string },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        const ctx = await c.access.context(actor, o.tenant, o.accessContract ?? null)
        const obj = await c.catalog.getObject(o.tenant, id)
        const granted = await c.access.checkObject(ctx, obj)
        if (!obj.blobId || !obj.digest) {
          throw new AppError(
            'OBJECT_NOT_BINARY',
            'invalid',
            `L'objet ${id} est un objet physique : rien à télécharger`,
            { objectId: id },
          )
        }
        const opened = await c.storage.open(blobKeyOf(o.tenant, obj), {
          sha512: obj.digest,
          ...(obj.size !== null ? { size: obj.size } : {}),
        })
        await pipeline(opened.body, createWriteStream(o.out, { flags: 'wx' }))
        c.access.record(ctx, 'OBJECT_DOWNLOAD', id, {
          usage: obj.usage,
          size: obj.size,
          ...(granted.derogationIds.length > 0 ? { derogationIds: granted.derogationIds } : {}),
        })
        emit(
          g,
          { objectId: id, out: o.out, size: opened.size, sha512: obj.digest, offer: opened.offerId },
          () => `Objet ${id} écrit dans ${o.out} (${opened.size} octets, SHA-512 vérifiée)`,
        )
      })
    })

  const user = program.command('user').description('utilisateurs')
  user
    .command('create <name>')
    .description(
      'crée un utilisateur ; le mot de passe est généré et affiché une fois, sauf --password-stdin',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .addOption(new Option('--role <role>', 'rôle').choices([...ROLES]).makeOptionMandatory())
    .option('--password-stdin', 'lit le mot de passe sur l’entrée standard')
    .action(async function (
      this: Command,
      name: string,
      o: { tenant: string; role: string; passwordStdin?: boolean },
    ) {
      const password = o.passwordStdin ? readStdin() : undefined
      await withInstance(this, o, async (c, actor, g) => {
        const u = await c.tenancy.createUser(actor, {
          username: name,
          tenantId: o.tenant,
          role: o.role,
          ...(password !== undefined ? { password } : {}),
        })
        emit(
          g,
          {
            id: u.id,
            username: u.username,
            grants: u.grants,
            ...(u.generated ? { password: u.password } : {}),
          },
          () =>
            [
              `Utilisateur créé : ${u.username} (${o.role} sur ${o.tenant})`,
              u.generated ? `Mot de passe (affiché une seule fois) : ${u.password}` : '',
            ]
              .filter(Boolean)
              .join('\n'),
        )
      })
    })

  const apikey = program.command('apikey').description('clés d’API applicatives')
  apikey
    .command('create')
    .description('crée une clé d’API (affichée une seule fois)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .addOption(new Option('--role <role>', 'rôle').choices([...ROLES]).makeOptionMandatory())
    .option('--label <label>', 'libellé (application, usage)')
    .action(async function (this: Command, o: { tenant: string; role: string; label?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const k = await c.tenancy.createApiKey(actor, {
          tenantId: o.tenant,
          role: o.role,
          ...(o.label ? { label: o.label } : {}),
        })
        emit(g, k, () => `Clé créée (${k.id}, « ${k.label} ») — affichée une seule fois :\n${k.key}`)
      })
    })
  apikey
    .command('revoke <id>')
    .description('révoque une clé d’API')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.revokeApiKey(actor, o.tenant, id)
        emit(g, { ok: true, revoked: id }, () => `Clé révoquée : ${id}`)
      })
    })

  const logbook = program.command('logbook').description('journal des opérations (registre probant)')
  logbook
    .command('verify')
    .description('revérifie les chaînes du journal (toutes, ou celle d’un service) ; code 1 si une rupture')
    .option('--tenant <id>', 'seulement la chaîne de ce service')
    .action(async function (this: Command, o: { tenant?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        if (o.tenant) await c.tenancy.requireAccess(actor, o.tenant, 'logbook.read')
        else if (actor !== SYSTEM_PRINCIPAL && !actor.grants.some((x) => x.role === 'platform-admin')) {
          throw usageError('--tenant est requis pour un utilisateur qui n’administre pas la plate-forme')
        }
        const { chains, seals } = await c.seals.verifyLogbook(o.tenant) // one pass: chains + seals
        const r = { ok: chains.ok && seals.ok, chains: chains.chains, seals }
        emit(g, r, () =>
          r.chains
            .map((ch) =>
              ch.ok
                ? `OK     ${ch.chain} : ${ch.events} événements`
                : `ROMPU  ${ch.chain} : ${ch.firstBreak?.message} (événement n° ${ch.firstBreak?.seq})`,
            )
            .concat(r.chains.length === 0 ? ['Aucun événement à vérifier.'] : [])
            .concat(
              seals.breaks.map((b) => `ROMPU  sceau n° ${b.number} (${b.reason}) : ${b.message}`),
              seals.ok
                ? [
                    `OK     sceaux : ${seals.seals} vérifiés (${seals.sealedEvents} événements scellés, ${seals.unsealedEvents} en attente du prochain scellement)`,
                  ]
                : [],
            )
            .join('\n'),
        )
        if (!r.ok) process.exitCode = 1
      })
    })

  const audit = program
    .command('audit')
    .description('audits de pérennité (existence et intégrité des copies)')
  audit
    .command('run')
    .description(
      'audite les copies de chaque objet sur chaque offre et répare celles qui sont absentes ou altérées ; code 1 si un objet n’a plus de copie intègre',
    )
    .option('--tenant <id>', 'service d’archives audité')
    .option('--all', 'toute la plate-forme (administrateur de la plate-forme)')
    .option('--producer <id>', 'seulement les objets de ce service producteur')
    .addOption(
      new Option('--type <type>', 'existence ou integrity').choices([...AUDIT_TYPES]).default('integrity'),
    )
    .action(async function (
      this: Command,
      o: { tenant?: string; all?: boolean; producer?: string; type: AuditType },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        if (Boolean(o.all) === (o.tenant !== undefined))
          throw usageError('précisez soit --tenant ID, soit --all')
        if (o.all && !isPlatformAdmin(actor))
          throw new AppError(
            'FORBIDDEN',
            'forbidden',
            'Seul un administrateur de la plate-forme peut auditer toute la plate-forme',
            { scope: 'all' },
          )
        if (o.tenant !== undefined) await c.tenancy.requireAccess(actor, o.tenant, 'archive.manage')
        const auditId = await c.fixity.request({
          tenantId: o.tenant ?? null,
          producer: o.producer ?? null,
          type: o.type,
          agent: actor.id,
        })
        const r = await c.fixity.execute(auditId, progressTo(g))
        emitAudit(g, r)
      })
    })
  audit
    .command('resume <id>')
    .description('reprend un audit interrompu à son dernier point de reprise')
    .action(async function (this: Command, id: string, o: object) {
      await withInstance(this, o, async (c, actor, g) => {
        if (!isPlatformAdmin(actor)) {
          const r = await c.fixity.report(null, id)
          if (r.tenant === null)
            throw new AppError('AUDIT_NOT_FOUND', 'not_found', `Audit inconnu : ${id}`, { auditId: id })
          await c.tenancy.requireAccess(actor, r.tenant, 'archive.manage')
        }
        emitAudit(g, await c.fixity.execute(id, progressTo(g)))
      })
    })
  audit
    .command('show <id>')
    .description('le rapport d’un audit (compteurs, résultats par offre, anomalies)')
    .option('--tenant <id>', 'service d’archives (sans : administrateur de la plate-forme)')
    .action(async function (this: Command, id: string, o: { tenant?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        let scope: string | null = null
        if (o.tenant !== undefined) {
          await c.tenancy.requireAccess(actor, o.tenant, 'logbook.read')
          scope = o.tenant
        } else if (!isPlatformAdmin(actor)) throw usageError('--tenant ID est requis')
        emitAudit(g, await c.fixity.report(scope, id), false)
      })
    })

  logbook
    .command('seal')
    .description('scelle maintenant les événements non encore scellés (arbre de Merkle + jeton RFC 3161)')
    .action(async function (this: Command, o: Record<string, never>) {
      await withInstance(this, o, async (c, actor, g) => {
        if (actor !== SYSTEM_PRINCIPAL && !isPlatformAdmin(actor)) {
          throw new AppError('FORBIDDEN', 'forbidden', 'Réservé aux administrateurs de la plate-forme', {})
        }
        const r = await c.seals.seal(actor.id)
        emit(g, r, () =>
          r.seal
            ? `Sceau n° ${r.seal.number} (${r.seal.id}) : ${r.events} événements, horodaté le ${r.seal.genTime}`
            : 'Rien à sceller : tous les événements sont déjà scellés.',
        )
      })
    })

  program
    .command('evidence <id>')
    .description('écrit le paquet de preuve (vérifiable hors ligne) d’une unité ou d’un objet')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--out <dir>', 'dossier de sortie (nouveau ou vide)')
    .action(async function (this: Command, id: string, o: { tenant: string; out: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'archive.read')
        await c.tenancy.requireAccess(actor, o.tenant, 'logbook.read')
        const r = await c.evidence.write(o.tenant, id, o.out, actor.id)
        emit(
          g,
          r,
          () =>
            `Paquet de preuve de ${r.target.kind === 'unit' ? 'l’unité' : 'l’objet'} ${id} écrit dans ${r.out} : ${r.events} événements, sceaux ${r.seals.join(', ')}. Vérifier : node ${r.out}/verify.mjs`,
        )
      })
    })

  const operation = program.command('operation').description('opérations')
  operation
    .command('show <id>')
    .description('une opération et ses événements')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        await c.tenancy.requireAccess(actor, o.tenant, 'logbook.read')
        const op = await c.audit.getOperation(o.tenant, id)
        const doc = {
          operationId: op.id,
          type: op.type,
          status: op.status,
          tenant: op.tenantId,
          ...op.summary,
          events: op.events.map((e) => ({
            type: e.type,
            outcome: e.outcome,
            detail: e.detail,
            message: e.message,
          })),
        }
        emit(g, doc, () =>
          [
            `${op.type} ${op.id} : ${op.status}`,
            ...op.events.map((e) => `  ${e.outcome.padEnd(7)} ${e.type}  ${e.message ?? ''}`),
          ].join('\n'),
        )
      })
    })

  const exportCmd = program.command('export').description('réversibilité : export d’un service en sac BagIt')
  exportCmd
    .command('tenant <id>')
    .description('écrit tout ce que détient un service d’archives dans un sac BagIt (RFC 8493)')
    .requiredOption('--out <dir>', 'dossier du sac (absent ou vide)')
    .action(async function (this: Command, id: string, o: { out: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        requirePlatformAdmin(actor)
        const r = await c.exports.exportTenant(id, o.out, actor.id)
        emit(g, r, () =>
          [
            `Service ${r.tenant} exporté dans ${r.out}`,
            `  Payload-Oxum ${r.payloadOxum}, ${r.binaries} binaires, opération ${r.operationId}`,
            ...Object.entries(r.tables).map(([t, n]) => `  ${t.padEnd(24)} ${n}`),
          ].join('\n'),
        )
      })
    })
  program
    .command('import <dir>')
    .description('restaure un service exporté dans une instance où il n’existe pas (sac vérifié d’abord)')
    .action(async function (this: Command, dir: string) {
      await withInstance(this, {}, async (c, actor, g) => {
        requirePlatformAdmin(actor)
        const r = await c.exports.importBag(dir, actor.id)
        emit(g, r, () =>
          [
            `Service ${r.tenant} restauré (opération ${r.operationId}), ${r.binaries} binaires sur ${c.storage.offers.length} offres`,
            ...Object.entries(r.tables).map(([t, n]) => `  ${t.padEnd(24)} ${n}`),
          ].join('\n'),
        )
      })
    })

  registerLifecycleCommands(program, withInstance)
  registerEliminationCommands(program, withInstance)
  registerProofCommands(program, withInstance)

  registerAccessCommands(program, withInstance)
  registerPhysicalCommands(program, withInstance, readInputFile)

  return program
}

function requirePlatformAdmin(actor: Principal): void {
  if (!isPlatformAdmin(actor))
    throw new AppError(
      'FORBIDDEN',
      'forbidden',
      'Export et import de services : réservés à l’administrateur de la plate-forme',
    )
}

function progressTo(g: OutputOptions): {
  onProgress?: (p: { objects: number; total: number; bytes: number; anomalies: number }) => void
} {
  if (g.json || !process.stderr.isTTY) return {}
  return {
    onProgress: (p) =>
      process.stderr.write(
        `\r  ${p.objects}/${p.total} objets, ${p.bytes} octets, ${p.anomalies} anomalies   `,
      ),
  }
}

/** Prints an audit report; a finished audit that lost objects (KO) exits 1. */
function emitAudit(g: OutputOptions, r: AuditReport, setExit = true): void {
  emit(g, r, () =>
    [
      `Audit ${r.auditId} (${r.type}, ${r.tenant ?? 'toute la plate-forme'}${r.producer ? `, producteur ${r.producer}` : ''}) : ${r.status}`,
      `  ${r.counts.objects}/${r.progress.total} objets, ${r.counts.copies} copies, ${r.counts.bytes} octets vérifiés`,
      `  ${r.counts.anomalies} anomalies, ${r.counts.repaired} copies réparées, ${r.counts.lost} objets sans copie intègre`,
      ...r.offers.map(
        (o) =>
          `  offre ${o.offerId} : ${o.ok}/${o.checked} bonnes, ${o.missing} absentes, ${o.size + o.digest} altérées, ${o.unreadable} illisibles, ${o.repaired} réparées`,
      ),
      ...r.alerts.map((a) => `  ALERTE ${a.message}`),
      ...r.anomalies
        .filter((a) => a.kind !== 'lost')
        .slice(0, 50)
        .map(
          (a) =>
            `  ${a.kind.padEnd(10)} ${a.objectId} sur ${a.offer} : ${a.repair}${a.repairedFrom ? ` depuis ${a.repairedFrom}` : ''}`,
        ),
    ].join('\n'),
  )
  if (setExit && r.status === 'KO') process.exitCode = 1
}

/** The storage key of an ingested object: its id, under its ingest operation. */
function blobKeyOf(tenant: string, o: ObjectRecord): string {
  return blobKeyFor(tenant, o.operationId, o.id)
}

function adminBanner(a: { username: string; password: string }): string {
  return [
    '────────────────────────────────────────────────────────────',
    'Administrateur de la plate-forme créé (mot de passe affiché une seule fois) :',
    `  utilisateur : ${a.username}`,
    `  mot de passe : ${a.password}`,
    '────────────────────────────────────────────────────────────',
  ].join('\n')
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram()
  const json = argv.includes('--json')
  try {
    await program.parseAsync(argv as string[], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return 0
      if (json) emitError({ json }, usageError(err.message.replace(/^error: /, '')))
      return 2
    }
    return emitError({ json }, err)
  }
}

/** A page size option: a positive integer up to MAX_PAGE, else the same errors as the HTTP API. */
function cliLimit(v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw SearchErrors.badValue('limit', v, 'entier positif attendu')
  const n = Number(v)
  if (n > MAX_PAGE) throw SearchErrors.pageTooLarge(n)
  if (n < 1) throw SearchErrors.badValue('limit', v, 'au moins 1')
  return n
}
