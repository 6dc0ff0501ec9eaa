#!/usr/bin/env node
// The `saeh` command. TypeScript runs through tsx's loader: no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/main/cli.ts')
