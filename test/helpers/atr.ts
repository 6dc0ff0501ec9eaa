import { writeAtr } from '../../src/modules/seda/index.js'

/**
 * The reply (ATR) another archiving system sends to a package SAEH handed over as a file: OK, or KO with
 * one CHECK_DIGEST event carrying `reason`. `id` is its MessageIdentifier (the receiver's operation).
 */
export function receiverAtr(o: {
  request: string
  status: 'OK' | 'KO'
  id?: string
  receiver?: string
  sender?: string
  reason?: string
}): string {
  return writeAtr({
    sedaVersion: '2.2',
    messageIdentifier: o.id ?? `REPLY-${o.status}`,
    date: '2026-01-15T10:00:00Z',
    messageRequestIdentifier: o.request,
    archivalAgencyIdentifier: o.receiver ?? 'X',
    transferringAgencyIdentifier: o.sender ?? 'Y',
    status: o.status,
    events:
      o.status === 'KO'
        ? [
            {
              type: 'CHECK_DIGEST',
              outcome: 'KO',
              detail: 'CHECK_DIGEST.KO',
              message: o.reason ?? 'empreinte fausse',
            },
          ]
        : [],
  })
}
