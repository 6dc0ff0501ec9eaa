import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import type { Command } from 'commander'
import type { Container } from '../main/container.js'
import type { Principal } from '../modules/tenancy/index.js'
import type { ProbativeReport } from '../modules/proof/index.js'
import { AppError } from '../platform/errors.js'
import { emit, usageError, type OutputOptions } from './output.js'

type Run = <O>(
  cmd: Command,
  opts: O,
  fn: (c: Container, actor: Principal, g: O & OutputOptions) => Promise<void>,
) => Promise<void>

function summary(r: ProbativeReport): string {
  return [
    `Relevé de valeur probante de l’objet ${r.object.id} : ${r.conclusion.status} (intégrité ${r.conclusion.integrity})`,
    ...r.conclusion.findings.map((f) => `  • ${f}`),
    `  ${r.events.length} événement(s), ${r.seals.length} sceau(x), ${r.copies.length} copie(s), ${r.audits.length} audit(s)`,
  ].join('\n')
}

/** `saeh report probative ID` (docs/proof.md). */
export function registerProofCommands(program: Command, withInstance: Run): void {
  const report = program.command('report').description('relevés')
  report
    .command('probative <id>')
    .description('relevé de valeur probante d’un objet (JSON ou PDF)')
    .requiredOption('--tenant <id>', 'service d’archives')
    .option('--out <file>', 'fichier à écrire (nouveau)')
    .option('--format <format>', 'pdf ou json (défaut : pdf si --out finit par .pdf, sinon json)')
    .action(async function (this: Command, id: string, o: { tenant: string; out?: string; format?: string }) {
      const format = o.format ?? (o.out?.toLowerCase().endsWith('.pdf') ? 'pdf' : 'json')
      if (format !== 'pdf' && format !== 'json') throw usageError(`--format : pdf ou json, pas « ${format} »`)
      if (format === 'pdf' && !o.out) throw usageError('--format pdf demande --out FICHIER')
      if (o.out && existsSync(o.out))
        throw new AppError('REPORT_OUT_EXISTS', 'conflict', `Le fichier ${o.out} existe déjà`, { out: o.out })
      await withInstance(this, o, async (c, actor, g) => {
        if (format === 'json') {
          const r = await c.probative.build(actor, o.tenant, id)
          if (!o.out) {
            emit({ ...g, json: true }, r, () => '')
            return
          }
          const bytes = Buffer.from(JSON.stringify(r, null, 2) + '\n', 'utf8')
          await writeFile(o.out, bytes, { flag: 'wx' })
          const sha512 = createHash('sha512').update(bytes).digest('hex')
          emit(
            g,
            { out: o.out, format, sha512, conclusion: r.conclusion },
            () => `${summary(r)}\nÉcrit : ${o.out}`,
          )
          return
        }
        const { report: r, pdf } = await c.probative.pdf(actor, o.tenant, id)
        await writeFile(o.out!, pdf, { flag: 'wx' })
        const sha512 = createHash('sha512').update(pdf).digest('hex')
        emit(
          g,
          { out: o.out, format, sha512, conclusion: r.conclusion },
          () => `${summary(r)}\nÉcrit : ${o.out}`,
        )
      })
    })
}
