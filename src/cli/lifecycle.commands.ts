import type { Command } from 'commander'
import { Option } from 'commander'
import {
  registerCsv,
  type RuleChange,
  type Selection,
  type TransferView,
} from '../modules/lifecycle/index.js'
import { emit, usageError } from './output.js'
import { collect, idCommand, writeNewFile, type WithInstance } from './command-kit.js'

interface SelectionOptions {
  unit?: string[]
  branch?: string
  query?: string
  operation?: string
}

function selectionOf(o: SelectionOptions): Selection {
  const ways = [o.unit?.length ? 1 : 0, o.branch ? 1 : 0, o.query || o.operation ? 1 : 0].reduce(
    (a, b) => a + b,
    0,
  )
  if (ways !== 1)
    throw usageError('donner une sélection : --unit ID (répétable), --branch ID, ou --query/--operation')
  if (o.unit?.length) return { unitIds: o.unit }
  if (o.branch) return { branch: o.branch }
  return {
    query: { ...(o.query ? { text: o.query } : {}), ...(o.operation ? { operationId: o.operation } : {}) },
  }
}

function withSelection(cmd: Command): Command {
  return cmd
    .option('--unit <id>', 'une unité (répétable)', collect)
    .option('--branch <id>', 'une unité et toute sa descendance')
    .option('--query <text>', 'les unités dont le titre contient ce texte')
    .option('--operation <id>', 'les unités d’une entrée')
}

/** `… revert <operationId>`: a reclassification or a rules update undone (the service tells which). */
function revertCommand(parent: Command, withInstance: WithInstance, description: string): Command {
  return idCommand(parent, withInstance, {
    command: 'revert <operationId>',
    description,
    run: (c, actor, tenantId, id) => c.changes.revert(actor, tenantId, id),
    text: (r) => `Annulation ${r.operationId} : ${r.units} unité(s) rétablie(s)`,
  })
}

function transferText(t: TransferView): string {
  return [
    `${t.type} ${t.operationId} : ${t.state}`,
    `  SEDA ${t.sedaVersion}, message ${t.messageIdentifier}`,
    `  ${t.units} unité(s), ${t.objects} objet(s) numérique(s), ${t.physicalObjects} objet(s) physique(s), ${t.bytes} octet(s)`,
    ...(t.targetTenant ? [`  destinataire : ${t.targetTenant}`] : []),
    ...(t.targetOperationId ? [`  opération du destinataire : ${t.targetOperationId}`] : []),
    ...(t.package ? [`  paquet : ${t.package.size} octets, SHA-512 ${t.package.sha512}`] : []),
    ...t.reasons.map((r) => `  refus : ${r.type} ${r.message ?? r.detail ?? ''}`),
  ].join('\n')
}

/** `saeh transfer …`, `saeh reclassify …`, `saeh rules update|revert`, `saeh register` (docs/lifecycle.md). */
export function registerLifecycleCommands(program: Command, withInstance: WithInstance): void {
  const transfer = program.command('transfer').description('transferts sortants et restitutions')
  withSelection(
    transfer
      .command('create')
      .description('prépare un transfert (SEDA ArchiveTransfer) ; --to-tenant le livre à un autre service')
      .requiredOption('--tenant <id>', 'service d’archives source'),
  )
    .option('--to-tenant <id>', 'service destinataire sur la plate-forme (sinon : fichier)')
    .addOption(new Option('--type <type>', 'nature').choices(['TRANSFER', 'RESTITUTION']).default('TRANSFER'))
    .addOption(new Option('--seda <version>', 'version SEDA').choices(['2.1', '2.2', '2.3']).default('2.2'))
    .option('--contract <id>', 'contrat d’entrée du destinataire (ArchivalAgreement)')
    .option('--archival-agency <id>', 'identifiant du service d’archives destinataire')
    .option('--comment <text>', 'commentaire du bordereau')
    .option('--out <file>', 'écrit aussi le paquet dans ce fichier (transfert par fichier)')
    .action(async function (
      this: Command,
      o: SelectionOptions & {
        tenant: string
        toTenant?: string
        type: 'TRANSFER' | 'RESTITUTION'
        seda: '2.1' | '2.2' | '2.3'
        contract?: string
        archivalAgency?: string
        comment?: string
        out?: string
      },
    ) {
      const selection = selectionOf(o)
      await withInstance(this, o, async (c, actor, g) => {
        const t = await c.transfers.create(actor, {
          tenantId: o.tenant,
          type: o.type,
          selection,
          sedaVersion: o.seda,
          targetTenant: o.toTenant ?? null,
          contract: o.contract ?? null,
          archivalAgency: o.archivalAgency ?? null,
          comment: o.comment ?? null,
        })
        if (o.out && t.package) {
          const pkg = await c.transfers.openPackage(actor, o.tenant, t.operationId)
          await writeNewFile(pkg.body, o.out)
        }
        emit(g, t, () => transferText(t) + (o.out && t.package ? `\n  écrit dans ${o.out}` : ''))
        if (t.state === 'KO') process.exitCode = 1
      })
    })
  idCommand(transfer, withInstance, {
    command: 'show <id>',
    description: 'un transfert',
    run: (c, actor, tenantId, id) => c.transfers.show(actor, tenantId, id),
    text: transferText,
  })
  transfer
    .command('list')
    .description('les transferts d’un service')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--state <state>', 'prepared, sent, acknowledged, KO, purged')
    .action(async function (this: Command, o: { tenant: string; state?: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const list = await c.transfers.list(actor, o.tenant, o.state ? { state: o.state } : {})
        emit(g, { total: list.length, results: list }, () =>
          [
            `${list.length} transfert(s)`,
            ...list.map((t) => `  ${t.operationId}  ${t.type}  ${t.state}  ${t.units} unité(s)`),
          ].join('\n'),
        )
      })
    })
  transfer
    .command('download <id>')
    .description('écrit le paquet d’un transfert non purgé (empreinte vérifiée)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--out <file>', 'fichier de sortie')
    .action(async function (this: Command, id: string, o: { tenant: string; out: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const pkg = await c.transfers.openPackage(actor, o.tenant, id)
        await writeNewFile(pkg.body, o.out)
        emit(
          g,
          { operationId: id, out: o.out, size: pkg.size },
          () => `Paquet écrit dans ${o.out} (${pkg.size} octets)`,
        )
      })
    })
  transfer
    .command('ack <id> <atrFile>')
    .description(
      'enregistre l’accusé de réception (ATR) du destinataire : OK purge la source, KO ne purge rien',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, atrFile: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const { readFile } = await import('node:fs/promises')
        const bytes = await readFile(atrFile).catch((e: Error) => {
          throw usageError(`fichier illisible : ${atrFile} (${e.message})`)
        })
        const t = await c.transfers.ack(actor, o.tenant, id, bytes)
        emit(g, t, () => transferText(t))
        if (t.state === 'KO') process.exitCode = 1
      })
    })

  const reclassify = program.command('reclassify').description('reclassement d’unités (révocable)')
  reclassify
    .command('move <unitId>')
    .description('place l’unité (et sa branche) sous de nouveaux parents, ou à la racine avec --root')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--parent <id>', 'nouveau parent (répétable)', collect)
    .option('--root', 'détacher à la racine')
    .action(async function (
      this: Command,
      unitId: string,
      o: { tenant: string; parent?: string[]; root?: boolean },
    ) {
      if (!o.root === !o.parent?.length) throw usageError('donner --parent ID (répétable) ou --root')
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.changes.reclassify(actor, o.tenant, [
          { unitId, parentIds: o.root ? [] : o.parent! },
        ])
        emit(g, r, () => `Reclassement ${r.operationId} : ${r.units} unité(s), ${r.recomputed} recalculée(s)`)
      })
    })
  revertCommand(reclassify, withInstance, 'annule un reclassement (rétablit les parents et recalcule)')

  const rules =
    program.commands.find((x) => x.name() === 'rules') ??
    program.command('rules').description('règles de gestion')
  withSelection(
    rules
      .command('update')
      .description('modifie les règles d’une catégorie sur une sélection (révocable)')
      .requiredOption('--tenant <id>', 'service d’archives'),
  )
    .option('--changes <file>', 'fichier JSON : tableau de modifications (docs/lifecycle.md)')
    .option('--category <category>', 'catégorie (AppraisalRule, AccessRule…)')
    .addOption(new Option('--action <action>', 'action').choices(['add', 'replace', 'remove', 'set']))
    .option('--rule <id[@date]>', 'règle, avec sa date de début (répétable)', collect)
    .option('--final-action <value>', 'sort final (Keep, Destroy…)')
    .option('--prevent-inheritance <bool>', 'true ou false')
    .option('--ref-non-rule <id>', 'règle héritée à ne pas appliquer (répétable)', collect)
    .action(async function (
      this: Command,
      o: SelectionOptions & {
        tenant: string
        changes?: string
        category?: string
        action?: RuleChange['action']
        rule?: string[]
        finalAction?: string
        preventInheritance?: string
        refNonRule?: string[]
      },
    ) {
      const selection = selectionOf(o)
      let changes: RuleChange[]
      if (o.changes) {
        const { readFileSync } = await import('node:fs')
        try {
          changes = JSON.parse(readFileSync(o.changes, 'utf8')) as RuleChange[]
        } catch (e) {
          throw usageError(`--changes ${o.changes} : ${(e as Error).message}`)
        }
      } else {
        if (!o.category || !o.action) throw usageError('donner --changes FICHIER, ou --category et --action')
        if (o.preventInheritance !== undefined && !['true', 'false'].includes(o.preventInheritance))
          throw usageError('--prevent-inheritance : true ou false')
        const list = (o.rule ?? []).map((r) => {
          const [ruleId, startDate] = r.split('@')
          return { ruleId: ruleId!, ...(startDate ? { startDate } : {}) }
        })
        changes = [
          {
            category: o.category,
            action: o.action,
            ...(o.action === 'remove' ? { ruleIds: list.map((r) => r.ruleId) } : { rules: list }),
            ...(o.finalAction ? { finalAction: o.finalAction } : {}),
            ...(o.preventInheritance !== undefined
              ? { preventInheritance: o.preventInheritance === 'true' }
              : {}),
            ...(o.refNonRule ? { refNonRuleIds: o.refNonRule } : {}),
          },
        ]
      }
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.changes.updateRules(actor, o.tenant, selection, changes)
        emit(g, r, () => `Mise à jour ${r.operationId} : ${r.units} unité(s), ${r.recomputed} recalculée(s)`)
      })
    })
  revertCommand(
    rules,
    withInstance,
    'annule une mise à jour de règles (rétablit les règles déclarées et recalcule)',
  )

  program
    .command('register')
    .description('registre des entrées : ce qui est entré et sorti, par service producteur, avec les cumuls')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--producer <id>', 'un service producteur')
    .option('--csv', 'au format CSV')
    .action(async function (this: Command, o: { tenant: string; producer?: string; csv?: boolean }) {
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.register.register(actor, o.tenant, o.producer ?? null)
        if (o.csv && !g.json) {
          process.stdout.write(registerCsv(r))
          return
        }
        emit(g, r, () =>
          [
            `Registre des entrées de ${r.tenant}${r.producer ? ` (producteur ${r.producer})` : ''}`,
            ...r.lines.map(
              (l) =>
                `  ${l.date.slice(0, 10)}  ${l.direction === 'in' ? '+' : '-'} ${l.type.padEnd(11)} ${(l.producer ?? '?').padEnd(16)} ` +
                `${l.units} u., ${l.objects} obj., ${l.physicalObjects} phys., ${l.bytes} o.  → cumul ${l.totals.units} u., ${l.totals.bytes} o.`,
            ),
            `  entrées : ${r.totals.in.units} unité(s) ; sorties : ${r.totals.out.units} ; conservées : ${r.totals.held.units}`,
          ].join('\n'),
        )
      })
    })
}
