import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

/** The web application: sources in src/web, built into web/dist (git-ignored), served by Fastify at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // No external requests: every asset is bundled and served by SAEH itself.
    assetsInlineLimit: 0,
  },
})
