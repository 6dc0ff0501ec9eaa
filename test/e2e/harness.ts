/**
 * What every browser journey needs: a real `saeh serve` child process on a free port with a temporary
 * SAEH_HOME, Debian's Chromium driven by playwright-core, screenshots into SAEH_SCREENSHOTS (default: a
 * temporary folder), sign-in and navigation helpers, a small API client for setting up data, and test files
 * (a one-page PDF, a PNG). Each e2e file starts its own server and browser with `openJourney(prefix)`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync } from 'node:zlib'
import PDFDocument from 'pdfkit'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'

export const CHROMIUM = process.env.SAEH_CHROMIUM ?? '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM)
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const REFERENTIALS = join(ROOT, 'src', 'assets', 'referentials')

/** A one-page PDF with a line of text (what a secretary would transfer). */
export async function onePagePdf(text: string): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', info: { Title: text } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise((r) => doc.on('end', r))
  doc.fontSize(20).text(text, 72, 96)
  doc.end()
  await done
  return Buffer.concat(chunks)
}

/**
 * A PNG written by hand (signature, IHDR, IDAT, IEND): a blue band on white, or noise (incompressible,
 * so that the file is as large as its pixels).
 */
export function smallPng(width = 120, height = 60, noise = false): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8 bits, RGB
  const rows: Buffer[] = []
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3, 255)
    row[0] = 0
    if (noise) row.set(randomBytes(width * 3), 1)
    else if (y > height / 3 && y < (2 * height) / 3)
      for (let x = 0; x < width; x++) row.set([0, 0, 145], 1 + x * 3)
    rows.push(row)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export interface Server {
  readonly url: string
  readonly adminPassword: string
  readonly child: ChildProcess
}

/** Starts `saeh serve --port 0` and reads the printed admin password and listening address. */
export async function startServer(home: string): Promise<Server> {
  // The server refuses unknown SAEH_* settings (SAEH_SCREENSHOTS is the test's own): pass none through.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAEH_')))
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'saeh.js'), 'serve', '--port', '0'], {
    env: { ...env, SAEH_HOME: home, SAEH_HOST: '127.0.0.1', SAEH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000)
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const password = /mot de passe : (\S+)/.exec(out)?.[1]
      const url = /SAEH en service sur \S+ \((http:\/\/[^)]+)\)/.exec(out)?.[1]
      if (password && url) {
        clearTimeout(timer)
        resolvePromise({ url, adminPassword: password, child })
      }
    })
  })
}

/** A signed-in HTTP client for setting up data through the real API (not through the screens). */
export interface Api {
  readonly token: string
  /** JSON request; throws with the API's error when the status is not 2xx. */
  call<T = unknown>(method: string, path: string, body?: unknown, tenantId?: string): Promise<T>
  /** Raw request (multipart, files, …) with the session's headers added. */
  fetch(path: string, init?: RequestInit, tenantId?: string): Promise<Response>
}

export async function apiAs(server: Server, username: string, password: string): Promise<Api> {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!login.ok) throw new Error(`login ${username}: ${login.status} ${await login.text()}`)
  const { token } = (await login.json()) as { token: string }
  const raw = (path: string, init: RequestInit = {}, tenantId?: string) => {
    const headers = new Headers(init.headers)
    headers.set('authorization', `Bearer ${token}`)
    if (tenantId) headers.set('x-tenant-id', tenantId)
    return fetch(`${server.url}/api/v1${path}`, { ...init, headers })
  }
  return {
    token,
    fetch: raw,
    async call<T>(method: string, path: string, body?: unknown, tenantId?: string): Promise<T> {
      const res = await raw(
        path,
        body === undefined
          ? { method }
          : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        tenantId,
      )
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
      return (text ? JSON.parse(text) : undefined) as T
    },
  }
}

/** A server, a browser page on it and the helpers a journey uses. */
export interface Journey {
  readonly dir: string
  readonly server: Server
  readonly browser: Browser
  readonly context: BrowserContext
  readonly page: Page
  /** Every network request the page made outside the SAEH server (must stay empty). */
  readonly external: string[]
  /** Saves a full-page screenshot `<prefix>NN-<name>.png`. */
  snap(name: string): Promise<void>
  signIn(username: string, password: string): Promise<void>
  signOut(): Promise<void>
  /** A link of the main navigation, by its exact French label. */
  nav(name: string): Locator
  /** The text of every role="alert" on the page. */
  alertText(): Promise<string>
  close(): Promise<void>
}

/**
 * Starts a server and a browser. `prefix` names this file's screenshots (`''` for the historical set of
 * web.test.ts, e.g. `physical-` for the others) so that files do not overwrite each other's.
 */
export async function openJourney(prefix: string): Promise<Journey> {
  const dir = await mkdtemp(join(tmpdir(), 'saeh-e2e-'))
  const shots = resolve(process.env.SAEH_SCREENSHOTS ?? join(dir, 'screenshots'))
  await mkdir(shots, { recursive: true })
  console.log(`# screenshots: ${shots}`)
  const server = await startServer(join(dir, 'home'))
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--lang=fr-FR'],
  })
  const context = await browser.newContext({
    viewport: { width: 1280, height: 720 },
    locale: 'fr-FR',
    acceptDownloads: true,
  })
  // SAEH_E2E_JITTER_MS=n answers every API call after a random delay of up to n ms (a slow, uneven
  // server): a read that does not wait for the content it checks then fails instead of passing by luck.
  // The package upload is left alone (its progress is measured by the browser).
  const jitter = Number(process.env.SAEH_E2E_JITTER_MS ?? 0)
  if (jitter > 0)
    await context.route(
      (u) => u.pathname.startsWith('/api/v1/') && u.pathname !== '/api/v1/ingests',
      async (route) => {
        await new Promise((r) => setTimeout(r, Math.random() * jitter))
        await route.continue().catch(() => {})
      },
    )
  const page = await context.newPage()
  const external: string[] = []
  page.on('request', (r) => {
    const u = r.url()
    // Network requests only (the browser's own PDF viewer loads chrome:// and chrome-extension:// pages).
    if (/^(https?|wss?):/.test(u) && !u.startsWith(`${server.url}/`)) external.push(u)
  })
  let shot = 0
  const journey: Journey = {
    dir,
    server,
    browser,
    context,
    page,
    external,
    async snap(name) {
      shot += 1
      await page.screenshot({
        path: join(shots, `${prefix}${String(shot).padStart(2, '0')}-${name}.png`),
        fullPage: true,
      })
    },
    async signIn(username, password) {
      // Each journey starts signed out, whatever the previous one left behind.
      await page.goto(`${server.url}/login`)
      await page.evaluate('sessionStorage.clear()')
      await page.goto(`${server.url}/`)
      await page.getByLabel('Nom d’utilisateur').fill(username)
      await page.getByLabel('Mot de passe').fill(password)
      await page.getByRole('button', { name: 'Se connecter' }).click()
      await page.getByRole('heading', { name: 'Accueil', level: 1 }).waitFor()
    },
    async signOut() {
      await page.getByRole('button', { name: 'Se déconnecter' }).click()
      await page.getByRole('heading', { name: 'Connexion' }).waitFor()
    },
    nav: (name) => page.getByRole('navigation').getByRole('link', { name, exact: true }),
    alertText: async () => (await page.getByRole('alert').allInnerTexts()).join('\n'),
    async close() {
      await browser.close()
      server.child.kill('SIGTERM')
      await new Promise((r) => server.child.once('exit', r))
      await rm(dir, { recursive: true, force: true })
    },
  }
  return journey
}

/** Polls `check` until it answers true (playwright's string predicates are blocked by the page's CSP). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits until `locator` matches exactly `n` elements. */
export async function waitForCount(locator: Locator, n: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (await locator.count()) === n, timeoutMs)
}

/** The product's default referentials, by kind: file shipped in src/assets/referentials and its type. */
const DEFAULT_REFERENTIALS = {
  agencies: ['agencies.csv', 'text/csv'],
  rules: ['rules.csv', 'text/csv'],
  'ingest-contracts': ['ingest-contracts.json', 'application/json'],
  'access-contracts': ['access-contracts.json', 'application/json'],
} as const

/** Imports the shipped default referentials into a tenant through the API (all four unless `kinds`). */
export async function loadReferentials(
  api: Api,
  tenantId: string,
  kinds: readonly (keyof typeof DEFAULT_REFERENTIALS)[] = [
    'agencies',
    'rules',
    'ingest-contracts',
    'access-contracts',
  ],
): Promise<void> {
  for (const kind of kinds) {
    const [file, type] = DEFAULT_REFERENTIALS[kind]
    const res = await api.fetch(
      `/referentials/${kind}`,
      { method: 'POST', headers: { 'content-type': type }, body: await readFile(join(REFERENTIALS, file)) },
      tenantId,
    )
    if (!res.ok) throw new Error(`${tenantId} ${kind}: ${res.status} ${await res.text()}`)
  }
}
