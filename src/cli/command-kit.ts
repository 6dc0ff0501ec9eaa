import { createWriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import type { Container } from '../main/container.js'
import type { Principal } from '../modules/tenancy/index.js'
import { emit, type OutputOptions } from './output.js'

/** program.ts's `withInstance`: opens the instance, runs the action as the actor (--as), closes it. */
export type WithInstance = <O>(
  cmd: Command,
  opts: O,
  fn: (c: Container, actor: Principal, opts: O & OutputOptions) => Promise<void>,
) => Promise<void>

/** Option parser of a repeatable option (`--unit A --unit B` → ['A', 'B']). */
export const collect = (v: string, prev: string[] = []) => [...prev, v]

/** Writes a package stream to a new file (an existing file is never overwritten). */
export async function writeNewFile(body: Readable, file: string): Promise<void> {
  await pipeline(body, createWriteStream(file, { flags: 'wx' }))
}

/**
 * Registers `<parent> <command> --tenant ID`, `command` naming one argument (`show <id>`): the action
 * applies `run` to the tenant and that argument and prints its result (JSON with --json, `text` otherwise).
 */
export function idCommand<T>(
  parent: Command,
  withInstance: WithInstance,
  spec: {
    readonly command: string
    readonly description: string
    readonly run: (c: Container, actor: Principal, tenantId: string, id: string) => Promise<T>
    readonly text: (value: T) => string
  },
): Command {
  return parent
    .command(spec.command)
    .description(spec.description)
    .requiredOption('--tenant <id>', 'service d’archives')
    .action(async function (this: Command, id: string, o: { tenant: string }) {
      await withInstance(this, o, async (c, actor, g) => {
        const v = await spec.run(c, actor, o.tenant, id)
        emit(g, v, () => spec.text(v))
      })
    })
}
