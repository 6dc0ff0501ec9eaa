// Child process of crash.test.ts: writes batches forever, printing what it does; the test kills it
// with SIGKILL at a chosen moment. Usage: crash-child.ts DIR DURABILITY
import { join } from 'node:path'
import { createStorage, type Durability } from './index.js'
import { seededBytes, seededSize } from './test-support.js'

const [dir, durability] = process.argv.slice(2) as [string, Durability]
const storage = createStorage(
  [
    { id: 'fs-a', kind: 'fs', root: join(dir, 'a') },
    { id: 'fs-b', kind: 'fs', root: join(dir, 'b') },
  ],
  { durability },
)
await storage.checkOffers()
const say = (line: string) => process.stdout.write(`${line}\n`)
for (let n = 0; ; n++) {
  const batch = storage.batch()
  const keys: string[] = []
  for (let i = 0; i < 30; i++) {
    const key = `t1/${String(n % 100).padStart(2, '0')}/b${n}-o${i}`
    const bytes = seededBytes(key, seededSize(key))
    async function* source() {
      for (let o = 0; o < bytes.length; o += 256 * 1024) yield bytes.subarray(o, o + 256 * 1024)
    }
    await batch.put(key, source())
    keys.push(key)
    if (i === 0) say(`STAGED ${n}`)
  }
  say(`COMMITTING ${n}`)
  await batch.commit()
  say(`COMMITTED ${n} ${keys.join(',')}`)
}
