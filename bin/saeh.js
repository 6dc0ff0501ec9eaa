#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=512
// The `saeh` command. TypeScript runs through tsx's loader: no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/main/cli.ts')
