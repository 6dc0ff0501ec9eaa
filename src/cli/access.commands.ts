import { rm } from 'node:fs/promises'
import type { Command } from 'commander'
import { Option } from 'commander'
import { DIP_USAGES, dipToSip, type DipView } from '../modules/access/index.js'
import { REQUEST_KINDS, type RequestKind, type RequestView } from '../modules/requests/index.js'
import { emit, usageError } from './output.js'
import { collect, idCommand, writeNewFile, type WithInstance } from './command-kit.js'

function requestText(r: RequestView): string {
  return [
    `${r.kind} ${r.id} : ${r.state}${r.overdue ? ' (EN RETARD)' : ''}`,
    `  demandeur : ${r.requester.name} (${r.requester.id})`,
    `  unités : ${r.unitIds.join(', ')}`,
    ...(r.service ? [`  service emprunteur : ${r.service}`] : []),
    ...(r.dueDate ? [`  retour prévu : ${r.dueDate}`] : []),
    ...(r.decisionReason ? [`  motif de la décision : ${r.decisionReason}`] : []),
    ...(r.derogation
      ? [
          `  dérogation ${r.derogation.id} jusqu'au ${r.derogation.expiresAt}${r.derogation.expired ? ' (expirée)' : ''} : ${r.derogation.reason}`,
        ]
      : []),
  ].join('\n')
}

function dipText(d: DipView): string {
  return [
    `DIP ${d.operationId} : ${d.state} (SEDA ${d.sedaVersion}, contrat ${d.contract})`,
    `  ${d.units} unité(s), ${d.progress.objectsDone}/${d.progress.objectsTotal} objet(s), ${d.bytes} octet(s)`,
    ...(d.package ? [`  paquet : ${d.package.size} octets, SHA-512 ${d.package.sha512}`] : []),
  ].join('\n')
}

/** `saeh request …`, `saeh dip …`, `saeh access bind` (docs/access.md). */
export function registerAccessCommands(program: Command, withInstance: WithInstance): void {
  const request = program
    .command('request')
    .description('demandes de communication, de consultation en salle et de prêt administratif')
  request
    .command('create')
    .description('dépose une demande (avec --as : au nom de ce lecteur)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .addOption(new Option('--kind <kind>', 'nature').choices([...REQUEST_KINDS]).makeOptionMandatory())
    .requiredOption('--unit <id>', 'une unité (répétable)', collect)
    .option('--motive <text>', 'motif de la demande')
    .option('--service <agency>', 'prêt : service producteur emprunteur')
    .option('--due <date>', 'consultation ou prêt : date de retour (AAAA-MM-JJ)')
    .option('--access-contract <id>', 'contrat d’accès')
    .action(async function (
      this: Command,
      o: {
        tenant: string
        kind: RequestKind
        unit: string[]
        motive?: string
        service?: string
        due?: string
        accessContract?: string
      },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.requests.create(actor, {
          tenantId: o.tenant,
          kind: o.kind,
          unitIds: o.unit,
          motive: o.motive ?? null,
          service: o.service ?? null,
          dueDate: o.due ?? null,
          accessContract: o.accessContract ?? null,
        })
        emit(g, r, () => requestText(r))
      })
    })
  request
    .command('approve <id>')
    .description('accorde une demande ; une unité non communicable demande une dérogation')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--reason <text>', 'motif')
    .option('--derogation-reason <text>', 'motif de la dérogation')
    .option('--derogation-until <instant>', 'fin de la dérogation (ISO 8601)')
    .option('--due <date>', 'date de retour (AAAA-MM-JJ)')
    .action(async function (
      this: Command,
      id: string,
      o: {
        tenant: string
        reason?: string
        derogationReason?: string
        derogationUntil?: string
        due?: string
      },
    ) {
      if (!!o.derogationReason !== !!o.derogationUntil)
        throw usageError('une dérogation demande --derogation-reason et --derogation-until')
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.requests.approve(actor, o.tenant, id, {
          reason: o.reason ?? null,
          dueDate: o.due ?? null,
          derogation: o.derogationReason
            ? { reason: o.derogationReason, expiresAt: o.derogationUntil! }
            : null,
        })
        emit(g, r, () => requestText(r))
      })
    })
  request
    .command('refuse <id>')
    .description('refuse une demande (motif obligatoire)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--reason <text>', 'motif du refus')
    .action(async function (this: Command, id: string, o: { tenant: string; reason: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.requests.refuse(actor, o.tenant, id, o.reason)
        emit(g, r, () => requestText(r))
      })
    })
  for (const action of ['deliver', 'return'] as const) {
    request
      .command(`${action} <id>`)
      .description(action === 'deliver' ? 'remet les documents' : 'enregistre le retour des documents')
      .requiredOption('--tenant <id>', 'service d’archives')
      .option('--due <date>', 'date de retour (AAAA-MM-JJ)')
      .action(async function (this: Command, id: string, o: { tenant: string; due?: string }) {
        await withInstance(this, o, async (c, actor, g) => {
          const r = await c.requests[action](actor, o.tenant, id, { dueDate: o.due ?? null })
          emit(g, r, () => requestText(r))
        })
      })
  }
  request
    .command('list')
    .description('les demandes (les siennes, ou toutes pour un archiviste)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--state <state>', 'état')
    .option('--kind <kind>', 'nature')
    .option('--overdue', 'seulement les prêts et consultations en retard')
    .action(async function (
      this: Command,
      o: { tenant: string; state?: string; kind?: string; overdue?: boolean },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        const list = await c.requests.list(actor, o.tenant, {
          ...(o.state ? { state: o.state } : {}),
          ...(o.kind ? { kind: o.kind } : {}),
          ...(o.overdue ? { overdue: true } : {}),
        })
        emit(g, { results: list }, () =>
          list.length === 0 ? 'Aucune demande' : list.map((r) => requestText(r)).join('\n'),
        )
      })
    })
  idCommand(request, withInstance, {
    command: 'show <id>',
    description: 'une demande',
    run: (c, actor, tenantId, id) => c.requests.show(actor, tenantId, id),
    text: requestText,
  })

  const dip = program.command('dip').description('exports de communication (DIP SEDA)')
  dip
    .command('export')
    .description('exporte des unités ou une branche en DIP SEDA (ArchiveDeliveryRequestReply)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--unit <id>', 'une unité (répétable)', collect)
    .option('--branch <id>', 'une unité et toute sa descendance')
    .addOption(new Option('--seda <version>', 'version SEDA').choices(['2.1', '2.2', '2.3']).default('2.2'))
    .addOption(
      new Option('--usage <usage>', 'usage des objets (répétable)').choices(DIP_USAGES).argParser(collect),
    )
    .option('--access-contract <id>', 'contrat d’accès')
    .option('--out <file>', 'écrit le paquet dans ce fichier')
    .option('--as-transfer', 'écrit un ArchiveTransfer ré-entrable plutôt que le DIP')
    .action(async function (
      this: Command,
      o: {
        tenant: string
        unit?: string[]
        branch?: string
        seda: '2.1' | '2.2' | '2.3'
        usage?: string[]
        accessContract?: string
        out?: string
        asTransfer?: boolean
      },
    ) {
      if (!!o.unit?.length === !!o.branch) throw usageError('donner --unit ID (répétable) ou --branch ID')
      if (o.asTransfer && !o.out) throw usageError('--as-transfer demande --out')
      await withInstance(this, o, async (c, actor, g) => {
        const created = await c.dips.create(actor, {
          tenantId: o.tenant,
          selection: o.unit?.length ? { unitIds: o.unit } : { branch: o.branch! },
          sedaVersion: o.seda,
          ...(o.usage ? { usages: o.usage } : {}),
          accessContract: o.accessContract ?? null,
        })
        // The CLI has no worker: it runs the export itself (the queued job then finds it done).
        await c.dips.process({ tenantId: o.tenant, operationId: created.operationId })
        const d = await c.dips.show(actor, o.tenant, created.operationId)
        if (o.out && d.state === 'ready') {
          const pkg = await c.dips.open(actor, o.tenant, d.operationId)
          const target = o.asTransfer ? `${o.out}.dip.tmp` : o.out
          await writeNewFile(pkg.body, target)
          if (o.asTransfer) {
            try {
              await dipToSip(target, o.out)
            } finally {
              await rm(target, { force: true })
            }
          }
        }
        emit(g, d, () => dipText(d) + (o.out && d.state === 'ready' ? `\n  écrit dans ${o.out}` : ''))
        if (d.state !== 'ready') process.exitCode = 1
      })
    })
  idCommand(dip, withInstance, {
    command: 'show <id>',
    description: 'un export',
    run: (c, actor, tenantId, id) => c.dips.show(actor, tenantId, id),
    text: dipText,
  })

  program
    .command('access')
    .description('contrats d’accès des utilisateurs et des clés')
    .command('bind <principalId>')
    .description('attribue des contrats d’accès à un utilisateur ou une clé (aucun : contrat par défaut)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--contract <id>', 'un contrat (répétable)', collect)
    .action(async function (this: Command, principalId: string, o: { tenant: string; contract?: string[] }) {
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.access.bind(actor, o.tenant, principalId, o.contract ?? [])
        emit(
          g,
          r,
          () => `Contrats d'accès de ${principalId} : ${r.contracts.join(', ') || '(défaut : AC-DEFAUT)'}`,
        )
      })
    })
}
