import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openPackage } from './index.js'
import { corpusDir } from './test-support.js'

// Its own file, so that the RSS measured is this process's (node --test runs each file in a process).
const corpus = corpusDir()
const RSS_BOUND = 200 * 1024 * 1024

let staging: string
before(async () => {
  staging = await mkdtemp(path.join(os.tmpdir(), 'saeh-container-memory-'))
})
after(() => rm(staging, { recursive: true, force: true }))

if (corpus.skip) it('memory bound', { skip: corpus.skip }, () => undefined)
else
  describe('memory bound', () => {
    it('streams the 1 GB entry of 1_UNIT_1_GOTS_1GB.zip (412:1) with RSS under 200 MiB', async () => {
      const r = await openPackage(path.join(corpus.dir, 'vitam/sip-perf/1_UNIT_1_GOTS_1GB.zip'), undefined, {
        stagingDir: staging,
      })
      const big = r.entries.find((e) => e.size === 1_000_000_000)
      assert.ok(big, 'the 1 GB entry is listed at its declared size')
      let bytes = 0
      let maxRss = process.memoryUsage().rss
      let chunks = 0
      const t0 = performance.now()
      for await (const chunk of r.openEntry(big.name)) {
        bytes += (chunk as Buffer).length
        if (++chunks % 64 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss)
      }
      maxRss = Math.max(maxRss, process.memoryUsage().rss)
      const seconds = (performance.now() - t0) / 1000
      await r.close()
      assert.equal(bytes, 1_000_000_000)
      assert.ok(maxRss < RSS_BOUND, `max RSS ${(maxRss / 1048576).toFixed(0)} MiB`)
      console.log(
        `# 1 GB entry: ${bytes} bytes in ${seconds.toFixed(2)} s (${(bytes / 1e6 / seconds).toFixed(0)} MB/s), max RSS ${(maxRss / 1048576).toFixed(0)} MiB`,
      )
    })
  })
