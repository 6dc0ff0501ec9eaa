import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Where Vite writes the web application (git-ignored; built by `npm run build:web` / `prepare`). */
export const WEB_DIST = join(ROOT, 'web', 'dist')

/**
 * Builds the web application when it is missing or older than its sources (a no-op that costs a
 * directory walk otherwise). Failing to build is not fatal: the API still serves, and `/` explains.
 */
export function ensureWebBuilt(log: { info(msg: string): void; warn(msg: string): void }): void {
  const script = join(ROOT, 'scripts', 'build-web.mjs')
  if (!existsSync(script)) return
  const r = spawnSync(process.execPath, [script, '--if-stale'], { encoding: 'utf8', cwd: ROOT })
  if (r.status === 0) log.info(r.stdout.trim())
  else log.warn(`interface web non construite : ${(r.stderr || r.stdout || '').trim().split('\n')[0]}`)
}

function missingPage(): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>SAEH</title></head>
<body><main>
<h1>SAEH</h1>
<p>L'interface web n'est pas construite sur ce serveur : lancez <code>npm run build:web</code> puis rechargez
cette page. L'API reste disponible sous <a href="/api/v1/openapi.json">/api/v1</a>.</p>
<p lang="en">The web application is not built on this server: run <code>npm run build:web</code>.</p>
</main></body></html>
`
}

/**
 * Serves the built web application at `/`: hashed assets cached for good, index.html never cached.
 * Client routes (/search, /units/…) answer index.html; /api/ and unknown assets keep the JSON 404.
 */
export async function registerWebApp(app: FastifyInstance, dist: string = WEB_DIST): Promise<void> {
  const built = existsSync(join(dist, 'index.html'))
  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/html; charset=utf-8').send(missingPage()),
    )
    return
  }
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      )
    },
  })
}

/** The SPA fallback, called by the not-found handler: true when it answered. */
export function webFallback(req: FastifyRequest, reply: FastifyReply, dist: string = WEB_DIST): boolean {
  const path = req.url.split('?')[0]!
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  if (path.startsWith('/api/') || path.startsWith('/assets/') || path === '/health') return false
  if (/\.[a-z0-9]+$/i.test(path)) return false
  if (!existsSync(join(dist, 'index.html'))) {
    void reply.code(503).type('text/html; charset=utf-8').send(missingPage())
    return true
  }
  void reply.header('cache-control', 'no-cache').sendFile('index.html', dist)
  return true
}
