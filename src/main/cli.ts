import { runCli } from '../cli/program.js'

const code = await runCli(process.argv.slice(2))
// `serve` keeps running: its exit comes from the signal handlers in main/server.ts.
if (!process.argv.slice(2).includes('serve') || code !== 0) process.exit(code)
