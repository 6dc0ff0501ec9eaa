import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import type { Command } from 'commander'
import type { Container } from '../main/container.js'
import type { Principal } from '../modules/tenancy/index.js'
import type { EliminationRequest } from '../modules/elimination/index.js'
import { emit, usageError, type OutputOptions } from './output.js'

type Run = <O>(
  cmd: Command,
  opts: O,
  fn: (c: Container, actor: Principal, g: O & OutputOptions) => Promise<void>,
) => Promise<void>

function requestText(r: EliminationRequest): string {
  return [
    `Demande ${r.id} : ${r.status} — ${r.totals.units} unité(s), ${r.totals.objects} objet(s), ${r.totals.bytes} octets`,
    ...(r.visa
      ? [`  visa ${r.visa.id ?? ''} ${r.visa.decision} par ${r.visa.by} le ${r.visa.at} : ${r.visa.comment}`]
      : []),
    ...(r.expiresAt ? [`  valable jusqu'au ${r.expiresAt}`] : []),
    ...r.units.map(
      (u) => `  ${u.status.padEnd(9)} ${u.unitId}  ${u.title}${u.reason ? ` — ${u.reason}` : ''}`,
    ),
    ...r.documents.map((d) => `  document ${d.name} (${d.size} octets)`),
  ].join('\n')
}

/** `saeh elimination …` and `saeh hold …` (docs/elimination.md). */
export function registerEliminationCommands(program: Command, withInstance: Run): void {
  const elim = program.command('elimination').description('élimination sous visa de l’autorité de contrôle')
  elim
    .command('analyse')
    .description(
      'unités dont la DUA est échue, à détruire, sans gel ni descendant à conserver ; conflits motivés',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--producer <id>', 'service producteur')
    .option('--branch <unitId>', 'une unité et sa descendance')
    .option('--rule <ruleId>', 'règle de gestion (durée d’utilité administrative)')
    .action(async function (
      this: Command,
      o: { tenant: string; producer?: string; branch?: string; rule?: string },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        const a = await c.elimination.analyse(actor, o.tenant, {
          ...(o.producer ? { producer: o.producer } : {}),
          ...(o.branch ? { branch: o.branch } : {}),
          ...(o.rule ? { rule: o.rule } : {}),
        })
        emit(g, a, () =>
          [
            `Analyse ${a.analysisId} au ${a.asOf} : ${a.totals.eligible} unité(s) éliminable(s), ${a.totals.conflicts} en conflit`,
            ...a.eligible.map((u) => `  DESTROY  ${u.unitId}  ${u.title} (DUA ${u.appraisalEndDate ?? '?'})`),
            ...a.conflicts.map(
              (u) =>
                `  CONFLICT ${u.unitId}  ${u.title} : ${u.reasons.map((r) => r.code + (r.unitId ? ` ${r.unitId}` : '')).join(', ')}`,
            ),
          ].join('\n'),
        )
      })
    })
  elim
    .command('request <analysisId>')
    .description('rédige la demande (bordereau) depuis une analyse : toutes les unités éliminables ou --unit')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--unit <id...>', 'unités choisies (éliminables dans l’analyse)')
    .option('--observations <text>', 'observations du bordereau')
    .option('--validity-days <n>', 'validité après le visa, en jours (90 par défaut)')
    .action(async function (
      this: Command,
      analysisId: string,
      o: { tenant: string; unit?: string[]; observations?: string; validityDays?: string },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        let validityDays: number | undefined
        if (o.validityDays !== undefined) {
          validityDays = Number(o.validityDays)
          if (!Number.isInteger(validityDays))
            throw usageError(`--validity-days : entier attendu (${o.validityDays})`)
        }
        const r = await c.elimination.createRequest(actor, o.tenant, {
          analysisId,
          ...(o.unit ? { unitIds: o.unit } : {}),
          ...(o.observations !== undefined ? { observations: o.observations } : {}),
          ...(validityDays !== undefined ? { validityDays } : {}),
        })
        emit(g, r, () => requestText(r))
      })
    })
  for (const [name, desc] of [
    ['submit', 'soumet la demande au visa de l’autorité de contrôle'],
    ['execute', 'exécute une demande visée : destruction, certificat, notification'],
    ['show', 'une demande, ses unités, son visa et ses documents'],
  ] as const) {
    elim
      .command(`${name} <id>`)
      .description(desc)
      .requiredOption('--tenant <id>', 'service d’archives')
      .action(async function (this: Command, id: string, o: { tenant: string }) {
        await withInstance(this, o, async (c, actor, g) => {
          const r =
            name === 'submit'
              ? await c.elimination.submit(actor, o.tenant, id)
              : name === 'execute'
                ? await c.elimination.execute(actor, o.tenant, id)
                : await c.elimination.show(actor, o.tenant, id)
          emit(g, r, () => requestText(r))
        })
      })
  }
  elim
    .command('visa <id>')
    .description('visa de l’autorité de contrôle (R212-14) : --approve ou --refuse, avec --comment')
    .requiredOption('--tenant <id>', 'service d’archives de la demande')
    .option('--approve', 'autorise l’élimination')
    .option('--refuse', 'refuse l’élimination')
    .requiredOption('--comment <text>', 'motif ou observations du visa')
    .action(async function (
      this: Command,
      id: string,
      o: { tenant: string; approve?: boolean; refuse?: boolean; comment: string },
    ) {
      if (!!o.approve === !!o.refuse) throw usageError('visa : --approve ou --refuse (un seul)')
      await withInstance(this, o, async (c, actor, g) => {
        const r = await c.elimination.visa(actor, o.tenant, id, {
          decision: o.approve ? 'approve' : 'refuse',
          comment: o.comment,
        })
        emit(g, r, () => requestText(r))
      })
    })
  elim
    .command('document <id> <name>')
    .description(
      'télécharge un document : bordereau.pdf, authorization-request.xml, certificate.pdf, certificate.json, notification.xml',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--out <file>', 'fichier de sortie')
    .action(async function (this: Command, id: string, name: string, o: { tenant: string; out: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const d = await c.elimination.openDocument(actor, o.tenant, id, name)
        await pipeline(d.body as Readable, createWriteStream(o.out))
        emit(g, { ok: true, name, out: o.out, size: d.size, sha512: d.sha512 }, () => `${name} → ${o.out}`)
      })
    })

  const hold = program.command('hold').description('gels (holds) juridiques manuels')
  hold
    .command('create <unitId>')
    .description('pose un gel sur une unité (et sa descendance avec --branch)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--reason <text>', 'motif')
    .option('--branch', 'toute la descendance')
    .option('--start <date>', 'début (AAAA-MM-JJ, aujourd’hui par défaut)')
    .option('--end <date>', 'fin (AAAA-MM-JJ)')
    .action(async function (
      this: Command,
      unitId: string,
      o: { tenant: string; reason: string; branch?: boolean; start?: string; end?: string },
    ) {
      await withInstance(this, o, async (c, actor, g) => {
        const h = await c.holds.create(actor, o.tenant, {
          unitId,
          reason: o.reason,
          includeDescendants: !!o.branch,
          ...(o.start ? { startDate: o.start } : {}),
          ...(o.end ? { endDate: o.end } : {}),
        })
        emit(
          g,
          h,
          () => `Gel ${h.id} posé sur ${h.unitId}${h.includeDescendants ? ' et sa descendance' : ''}`,
        )
      })
    })
  hold
    .command('lift <holdId>')
    .description('lève un gel')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--reason <text>', 'motif de la levée')
    .action(async function (this: Command, holdId: string, o: { tenant: string; reason: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const h = await c.holds.lift(actor, o.tenant, holdId, o.reason)
        emit(g, h, () => `Gel ${h.id} levé`)
      })
    })
  hold
    .command('list')
    .description('gels du service')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--unit <id>', 'gels posés sur cette unité')
    .option('--active', 'seulement les gels en vigueur')
    .action(async function (this: Command, o: { tenant: string; unit?: string; active?: boolean }) {
      await withInstance(this, o, async (c, actor, g) => {
        const l = await c.holds.list(actor, o.tenant, {
          ...(o.unit ? { unitId: o.unit } : {}),
          activeOnly: !!o.active,
        })
        emit(
          g,
          { results: l },
          () =>
            l
              .map(
                (h) =>
                  `${h.id} ${h.active ? 'EN VIGUEUR' : 'inactif'} ${h.unitId}${h.includeDescendants ? ' (+descendance)' : ''} ${h.startDate} → ${h.endDate ?? '∞'} : ${h.reason}`,
              )
              .join('\n') || 'Aucun gel.',
        )
      })
    })
}
