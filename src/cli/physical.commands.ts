import { writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Command } from 'commander'
import type { Container } from '../main/container.js'
import type { Principal } from '../modules/tenancy/index.js'
import { boxLabelsPdf, shelfListPdf, type LocationView } from '../modules/physical/index.js'
import { AppError } from '../platform/errors.js'
import { emit, type OutputOptions } from './output.js'

type Run = <O>(
  cmd: Command,
  opts: O,
  fn: (c: Container, actor: Principal, g: O & OutputOptions) => Promise<void>,
) => Promise<void>

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v))
const place = (l: LocationView) =>
  `${l.path.padEnd(40)} ${l.level.padEnd(10)} ${l.shelf ? `${l.occupancy.usedMetres}/${l.lengthMetres} m` : `${l.occupancy.usedMetres}/${l.occupancy.capacityMetres} m`}` +
  `${l.effective.blocked ? ' bloquée' : ''}${l.effective.reserved ? ' réservée' : ''}${l.effective.fireRated ? ' coupe-feu' : ''}${l.effective.climateControlled ? ' climatisée' : ''}`

function writeOut(file: string, bytes: Buffer): void {
  try {
    writeFileSync(file, bytes)
  } catch (e) {
    throw new AppError(
      'FILE_UNWRITABLE',
      'invalid',
      `Écriture impossible : ${file} (${(e as Error).message})`,
      { file },
    )
  }
}

/** `saeh location|box|physical|inventory|labels …` (docs/physical.md). */
export function registerPhysicalCommands(
  program: Command,
  run: Run,
  readInputFile: (f: string) => Buffer,
): void {
  const location = program.command('location').description('emplacements des archives physiques')
  location
    .command('levels <names...>')
    .description('noms des niveaux de l’arbre, de la racine aux tablettes')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, names: string[], o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const levels = await c.physical.setLevelNames(actor, o.tenant, { levels: names })
        emit(g, { levels }, () => `Niveaux : ${levels.join(' → ')}`)
      })
    })
  location
    .command('add <code>')
    .description('crée un emplacement (une tablette a une longueur en mètres linéaires)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--parent <location>', 'emplacement parent (identifiant ou chemin)')
    .option('--name <name>', 'libellé')
    .option('--length <metres>', 'longueur de la tablette en mètres linéaires')
    .option('--fire-rated', 'coupe-feu')
    .option('--climate-controlled', 'climatisé')
    .option('--reserved', 'réservé')
    .option('--blocked', 'bloqué')
    .action(async function (
      this: Command,
      code: string,
      o: {
        tenant: string
        parent?: string
        name?: string
        length?: string
        fireRated?: boolean
        climateControlled?: boolean
        reserved?: boolean
        blocked?: boolean
      },
    ) {
      await run(this, o, async (c, actor, g) => {
        const l = await c.physical.createLocation(actor, o.tenant, {
          code,
          parentId: o.parent,
          name: o.name,
          lengthMetres: o.length,
          fireRated: o.fireRated ?? false,
          climateControlled: o.climateControlled ?? false,
          reserved: o.reserved ?? false,
          blocked: o.blocked ?? false,
        })
        emit(g, l, () => `Emplacement créé : ${l.id}  ${place(l)}`)
      })
    })
  location
    .command('update <location>')
    .description('modifie un emplacement')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--name <name>', 'libellé')
    .option('--length <metres>', 'longueur de la tablette')
    .option('--fire-rated <bool>', 'true ou false')
    .option('--climate-controlled <bool>', 'true ou false')
    .option('--reserved <bool>', 'true ou false')
    .option('--blocked <bool>', 'true ou false')
    .action(async function (
      this: Command,
      ref: string,
      o: Record<string, string | undefined> & { tenant: string },
    ) {
      await run(this, o, async (c, actor, g) => {
        const l = await c.physical.updateLocation(actor, o.tenant, ref, {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.length !== undefined ? { lengthMetres: o.length } : {}),
          ...(o.fireRated !== undefined ? { fireRated: o.fireRated } : {}),
          ...(o.climateControlled !== undefined ? { climateControlled: o.climateControlled } : {}),
          ...(o.reserved !== undefined ? { reserved: o.reserved } : {}),
          ...(o.blocked !== undefined ? { blocked: o.blocked } : {}),
        })
        emit(g, l, () => `Emplacement modifié : ${place(l)}`)
      })
    })
  location
    .command('move <location>')
    .description('déplace un emplacement et son contenu sous un autre parent')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--to <parent>', 'nouveau parent (identifiant ou chemin)')
    .option('--root', 'à la racine')
    .action(async function (this: Command, ref: string, o: { tenant: string; to?: string; root?: boolean }) {
      await run(this, o, async (c, actor, g) => {
        if ((o.to === undefined) === (o.root !== true))
          throw new AppError(
            'PHYSICAL_INVALID',
            'invalid',
            'parentId : --to PARENT ou --root (l’un des deux)',
            {
              field: 'parentId',
            },
          )
        const l = await c.physical.moveLocation(actor, o.tenant, ref, { parentId: o.root ? null : o.to })
        emit(g, l, () => `Emplacement déplacé : ${place(l)}`)
      })
    })
  location
    .command('delete <location>')
    .description('supprime un emplacement vide et ses descendants vides')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, ref: string, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.deleteLocation(actor, o.tenant, ref)
        emit(g, r, () => `Supprimé(s) : ${r.deleted.join(', ')}`)
      })
    })
  location
    .command('import <file>')
    .description('importe un arbre d’emplacements (CSV : path, name, length_m, fire_rated, …)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, file: string, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.importLocations(
          actor,
          o.tenant,
          readInputFile(file).toString('utf8'),
          basename(file),
        )
        emit(
          g,
          r,
          () =>
            `${r.created} emplacement(s) créé(s) (dont ${r.implicit} parent(s) implicite(s)), opération ${r.operationId}`,
        )
      })
    })
  location
    .command('list')
    .description('l’arbre des emplacements et leur occupation')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.listLocations(actor, o.tenant)
        emit(g, r, () => (r.locations.length ? r.locations.map(place).join('\n') : 'Aucun emplacement.'))
      })
    })
  location
    .command('show <location>')
    .description('un emplacement, ses enfants et ses boîtes')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, ref: string, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const l = await c.physical.getLocation(actor, o.tenant, ref)
        emit(g, l, () =>
          [
            place(l),
            ...l.children.map((x) => `  ${place(x)}`),
            ...l.boxes.map((b) => `  boîte ${b.barcode} ${b.cote ?? ''}`),
          ].join('\n'),
        )
      })
    })
  location
    .command('free')
    .description(
      'où ranger N mètres linéaires ou N boîtes d’un type : places libres, les plus proches d’abord',
    )
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--metres <m>', 'métrage à ranger')
    .option('--boxes <n>', 'nombre de boîtes (avec --type)')
    .option('--type <boxType>', 'type de boîte')
    .option('--near <location>', 'au plus près de cet emplacement')
    .option('--fire-rated', 'tablettes coupe-feu seulement')
    .option('--climate-controlled', 'tablettes climatisées seulement')
    .option('--include-reserved', 'proposer aussi les tablettes réservées')
    .action(async function (
      this: Command,
      o: {
        tenant: string
        metres?: string
        boxes?: string
        type?: string
        near?: string
        fireRated?: boolean
        climateControlled?: boolean
        includeReserved?: boolean
      },
    ) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.freeSpace(actor, o.tenant, {
          metres: o.metres,
          boxes: o.boxes,
          boxType: o.type,
          near: o.near,
          fireRated: o.fireRated ?? false,
          climateControlled: o.climateControlled ?? false,
          includeReserved: o.includeReserved ?? false,
        })
        emit(g, r, () =>
          [
            `${r.neededMetres} m à ranger${r.boxes !== null ? ` (${r.boxes} boîtes ${r.boxType})` : ''} : ${r.enough ? 'place trouvée' : `pas assez de place (${r.totalFreeMetres} m libres)`}`,
            ...r.places.map((p) => `  ${p.shelves.map((s) => `${s.path} (${s.takeMetres} m)`).join(' + ')}`),
          ].join('\n'),
        )
      })
    })

  const box = program.command('box').description('boîtes et types de boîtes')
  box
    .command('type-add <id>')
    .description('crée un type de boîte (dimensions en millimètres)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--name <name>', 'libellé')
    .requiredOption('--width <mm>', 'largeur (dos), en mm')
    .requiredOption('--height <mm>', 'hauteur, en mm')
    .requiredOption('--depth <mm>', 'profondeur, en mm')
    .option('--footprint <mm>', 'encombrement linéaire sur la tablette (défaut : la largeur)')
    .action(async function (
      this: Command,
      id: string,
      o: { tenant: string; name: string; width: string; height: string; depth: string; footprint?: string },
    ) {
      await run(this, o, async (c, actor, g) => {
        const t = await c.physical.createBoxType(actor, o.tenant, {
          id,
          name: o.name,
          widthMm: num(o.width),
          heightMm: num(o.height),
          depthMm: num(o.depth),
          footprintMm: num(o.footprint),
        })
        emit(g, t, () => `Type de boîte ${t.id} : ${t.footprintMetres} m linéaire`)
      })
    })
  box
    .command('types')
    .description('les types de boîtes')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.listBoxTypes(actor, o.tenant)
        emit(
          g,
          { results: r },
          () => r.map((t) => `${t.id}  ${t.name}  ${t.footprintMetres} m`).join('\n') || 'Aucun type.',
        )
      })
    })
  box
    .command('add <barcode>')
    .description('enregistre une boîte')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--cote <cote>', 'cote')
    .option('--title <title>', 'intitulé')
    .option('--producer <id>', 'service producteur')
    .option('--type <boxType>', 'type de boîte')
    .option('--location <shelf>', 'tablette où la ranger')
    .action(async function (
      this: Command,
      barcode: string,
      o: {
        tenant: string
        cote?: string
        title?: string
        producer?: string
        type?: string
        location?: string
      },
    ) {
      await run(this, o, async (c, actor, g) => {
        const b = await c.physical.createBox(actor, o.tenant, {
          barcode,
          cote: o.cote,
          title: o.title,
          producer: o.producer,
          boxType: o.type,
          location: o.location,
        })
        emit(g, b, () => `Boîte ${b.barcode} enregistrée (${b.id})${b.place ? ` sur ${b.place.path}` : ''}`)
      })
    })
  box
    .command('show <box>')
    .description('une boîte (identifiant ou code-barres) : contenu, place, historique')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, ref: string, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const b = await c.physical.getBox(actor, o.tenant, ref)
        emit(g, b, () =>
          [
            `Boîte ${b.barcode} ${b.cote ?? ''} (${b.status}) — ${b.place?.path ?? 'sans emplacement'}` +
              (b.out
                ? ` — SORTIE (demande ${b.out.requestId}${b.out.dueDate ? `, retour prévu le ${b.out.dueDate}` : ''}${b.out.overdue ? ', EN RETARD' : ''})`
                : ''),
            ...b.content.map((x) => `  unité ${x.unitId} ${x.title ?? ''}`),
            ...b.history.map((h) => `  ${h.at} ${h.label} ${h.from ?? ''} → ${h.to ?? ''} ${h.note ?? ''}`),
            ...b.outings.map(
              (x) =>
                `  sortie ${x.kind ?? ''} ${x.requestId} : ${x.deliveredAt} → ${x.returnedAt ?? 'non rendue'}${x.dueDate ? ` (retour prévu ${x.dueDate})` : ''}${x.overdue ? ' en retard' : ''}`,
            ),
          ].join('\n'),
        )
      })
    })
  box
    .command('list')
    .description('les boîtes (sous un emplacement)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--location <location>', 'sous cet emplacement')
    .option('--status <status>', 'active ou destroyed')
    .action(async function (this: Command, o: { tenant: string; location?: string; status?: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.listBoxes(actor, o.tenant, {
          ...(o.location ? { location: o.location } : {}),
          ...(o.status ? { status: o.status } : {}),
          limit: 1000,
        })
        emit(
          g,
          r,
          () =>
            r.results
              .map(
                (b) =>
                  `${b.barcode.padEnd(20)} ${(b.cote ?? '').padEnd(16)} ${b.place?.path ?? '—'}${b.presence === 'out' ? ' (sortie)' : ''}`,
              )
              .join('\n') || 'Aucune boîte.',
        )
      })
    })
  box
    .command('move <boxes...>')
    .description('déplace des boîtes sur une tablette (refusé si elle est pleine)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--to <shelf>', 'tablette de destination')
    .option('--note <text>', 'motif')
    .action(async function (
      this: Command,
      boxes: string[],
      o: { tenant: string; to: string; note?: string },
    ) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.moveBoxes(actor, o.tenant, { boxes, to: o.to, note: o.note })
        emit(g, r, () => `${r.moved} boîte(s) déplacée(s) sur ${r.to.path} (opération ${r.operationId})`)
      })
    })
  box
    .command('stats')
    .description('mètres linéaires par producteur, par emplacement, par sort final')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, o: { tenant: string }) {
      await run(this, o, async (c, actor, g) => {
        const s = await c.physical.statistics(actor, o.tenant)
        emit(g, s, () =>
          [
            'Par producteur :',
            ...s.byProducer.map((p) => `  ${p.producer ?? '—'} : ${p.boxes} boîte(s), ${p.linearMetres} m`),
            'Par sort final :',
            ...s.byFinalAction.map((p) => `  ${p.finalAction} : ${p.boxes} boîte(s), ${p.linearMetres} m`),
            'Par emplacement :',
            ...s.byLocation.map(
              (l) => `  ${l.path} : ${l.usedMetres}/${l.capacityMetres} m, ${l.boxes} boîte(s)`,
            ),
            `Sans emplacement : ${s.unplaced.boxes} boîte(s), ${s.unplaced.linearMetres} m`,
          ].join('\n'),
        )
      })
    })

  const physical = program.command('physical').description('archives physiques')
  physical
    .command('transfer-form <file>')
    .description('importe un bordereau de versement papier (CSV, ou JSON si le fichier finit par .json)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, file: string, o: { tenant: string }) {
      const bytes = readInputFile(file)
      await run(this, o, async (c, actor, g) => {
        let r
        if (file.toLowerCase().endsWith('.json')) {
          let parsed: unknown
          try {
            parsed = JSON.parse(bytes.toString('utf8'))
          } catch (e) {
            throw new AppError(
              'TRANSFER_FORM_INVALID',
              'invalid',
              `JSON illisible : ${(e as Error).message}`,
              {
                errors: [{ row: 0, column: '', message: (e as Error).message }],
              },
            )
          }
          r = await c.physical.transferJson(actor, o.tenant, parsed)
        } else r = await c.physical.transferCsv(actor, o.tenant, bytes.toString('utf8'), basename(file))
        const res = r
        emit(g, res, () =>
          [
            `Versement accepté (opération ${res.operationId}) : ${res.units.length} unité(s), ${res.boxes.length} boîte(s), ${res.linearMetres} m`,
            ...res.boxes.map((b) => `  boîte ${b.barcode} ${b.cote ?? ''}`),
          ].join('\n'),
        )
      })
    })

  const inventory = program.command('inventory').description('récolements')
  inventory
    .command('start <locations...>')
    .description('ouvre un récolement sur des emplacements')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--label <label>', 'libellé')
    .action(async function (this: Command, locations: string[], o: { tenant: string; label?: string }) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.startInventory(actor, o.tenant, { locations, label: o.label })
        emit(g, r, () => `Récolement ${r.id} ouvert sur ${r.shelves.length} tablette(s)`)
      })
    })
  inventory
    .command('scan <id> <barcodes...>')
    .description('codes-barres relevés sur une tablette')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--shelf <shelf>', 'tablette')
    .action(async function (
      this: Command,
      id: string,
      barcodes: string[],
      o: { tenant: string; shelf: string },
    ) {
      await run(this, o, async (c, actor, g) => {
        const r = await c.physical.scan(actor, o.tenant, id, { shelf: o.shelf, barcodes })
        emit(g, r, () => `${barcodes.length} code(s) relevé(s) ; ${r.scanned} au total`)
      })
    })
  for (const [name, desc] of [
    ['show', 'un récolement et son rapport'],
    ['close', 'clôt un récolement et fige son rapport'],
  ] as const)
    inventory
      .command(`${name} <id>`)
      .description(desc)
      .requiredOption('--tenant <id>', 'service d’archives')
      .action(async function (this: Command, id: string, o: { tenant: string }) {
        await run(this, o, async (c, actor, g) => {
          const r =
            name === 'close'
              ? await c.physical.closeInventory(actor, o.tenant, id)
              : await c.physical.getInventory(actor, o.tenant, id)
          const p = r.report
          emit(g, r, () =>
            [
              `Récolement ${r.id} « ${r.label} » (${r.status}) : ${p.found.length}/${p.expected} en place`,
              ...p.missing.map((m) => `  manquante   ${m.barcode} (attendue sur ${m.expectedAt})`),
              ...p.misplaced.map(
                (m) =>
                  `  mal rangée  ${m.barcode} (attendue sur ${m.expectedAt ?? '—'}, vue sur ${m.foundAt.join(', ')})`,
              ),
              ...p.unexpected.map(
                (m) => `  inattendue  ${m.barcode} (vue sur ${m.foundAt.join(', ')}, ${m.reason})`,
              ),
              ...(p.out ?? []).map(
                (m) => `  sortie      ${m.barcode} (place ${m.expectedAt}, demande ${m.requestId})`,
              ),
            ].join('\n'),
          )
        })
      })

  const labels = program.command('labels').description('étiquettes et listes topographiques (PDF)')
  labels
    .command('boxes')
    .description('planche d’étiquettes de boîtes (code-barres Code 128 ou QR, cote, intitulé, producteur)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--out <file>', 'fichier PDF à écrire')
    .option('--location <location>', 'les boîtes rangées sous cet emplacement')
    .option('--box <boxes...>', 'ces boîtes')
    .option('--qr', 'QR code au lieu de Code 128')
    .action(async function (
      this: Command,
      o: { tenant: string; out: string; location?: string; box?: string[]; qr?: boolean },
    ) {
      await run(this, o, async (c, actor, g) => {
        const boxes = await c.physical.labelBoxes(actor, o.tenant, {
          ...(o.box ? { boxes: o.box } : {}),
          ...(o.location ? { location: o.location } : {}),
        })
        const pdf = await boxLabelsPdf(boxes, o.qr ? 'qrcode' : 'code128')
        writeOut(o.out, pdf)
        emit(
          g,
          { file: o.out, labels: boxes.length, bytes: pdf.length },
          () => `${boxes.length} étiquette(s) → ${o.out}`,
        )
      })
    })
  labels
    .command('shelf-list')
    .description('liste topographique des tablettes sous un emplacement')
    .requiredOption('--tenant <id>', 'service d’archives')
    .requiredOption('--location <location>', 'emplacement')
    .requiredOption('--out <file>', 'fichier PDF à écrire')
    .action(async function (this: Command, o: { tenant: string; location: string; out: string }) {
      await run(this, o, async (c, actor, g) => {
        const list = await c.physical.shelfList(actor, o.tenant, o.location)
        const pdf = await shelfListPdf(list, c.clock.now().toISOString())
        writeOut(o.out, pdf)
        emit(
          g,
          { file: o.out, ...list.summary, bytes: pdf.length },
          () =>
            `${list.summary.shelves} tablette(s), ${list.summary.boxes} boîte(s) dont ${list.summary.out} sortie(s) → ${o.out}`,
        )
      })
    })
}
