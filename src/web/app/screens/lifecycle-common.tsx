/** Pieces shared by the lifecycle screens: polling, a unit's title, selection fields, visa rights. */
import { useEffect, useState } from 'react'
import type { Operation } from '../api.js'
import { useLoad } from '../components.js'
import { hasMessage, useI18n } from '../i18n.js'
import { Link } from '../router.js'
import { useSession, type Session } from '../session.js'

/** Calls `again()` `ms` after each new `answer` while `running` (a job in the worker). */
export function usePoll(running: boolean, answer: unknown, again: () => void, ms = 1000): void {
  useEffect(() => {
    if (!running) return
    const h = setTimeout(again, ms)
    return () => clearTimeout(h)
    // `again` is re-created on each render: a new answer decides when to ask again.
  }, [running, answer])
}

export const RUNNING = new Set(['PENDING', 'RUNNING'])

/**
 * May this principal give the visa on the current tenant? Only a control-authority grant held on the
 * tenant that controls it (R212-14, the server's rule in EliminationService.visa). The server decides.
 */
export function canVisaOn(s: Session, tenant: { id: string; controlledBy: string | null } | null): boolean {
  if (!tenant || tenant.controlledBy === null) return false
  const ctl = tenant.controlledBy
  return s.data.principal.grants.some((g) => g.role === 'control-authority' && g.tenantId === ctl)
}

/** The tenants whose requests this principal may visa (the communes its AD controls). */
export function visaTenants(s: Session) {
  return s.data.tenants.filter((t) => canVisaOn(s, t))
}

/** A unit named by its title (loaded), linked to its page; its id while loading or if gone. */
export function UnitName({ id }: { id: string }) {
  const s = useSession()
  const { data } = useLoad(() => s.api.unit(id).catch(() => null), [id])
  return <Link to={`/units/${id}`}>{data?.title ?? id}</Link>
}

/** A label for a code of the API (`prefix.CODE`), the code itself when unknown. */
export function useCodeLabel(): (prefix: string, code: string) => string {
  const { t } = useI18n()
  return (prefix, code) => {
    const k = `${prefix}.${code}`
    return hasMessage(k) ? t(k) : code
  }
}

/** Splits a list typed by hand (spaces, commas, new lines) into ids. */
export function idsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ]
}

/** A background operation followed until it ends: status, events and a progress count. */
export function useOperation(id: string | null): { op: Operation | null; error: unknown } {
  const s = useSession()
  const [tick, setTick] = useState(0)
  const { data, error } = useLoad(() => (id ? s.api.operation(id) : Promise.resolve(null)), [id, tick])
  const [last, setLast] = useState<Operation | null>(null)
  useEffect(() => {
    if (data) setLast(data)
  }, [data])
  const op = data ?? last
  usePoll(!!id && !!data && RUNNING.has(data.status), data, () => setTick((n) => n + 1))
  return { op, error }
}

/**
 * A principal's display name: the signed-in principal's own, or a user of this tenant when the role may
 * list them (GET /users); otherwise the id the API gives (e.g. the AD's control authority seen from the
 * commune).
 */
export function usePrincipalName(): (id: string | null | undefined) => string {
  const s = useSession()
  const manage = s.can('principal.manage')
  const { data } = useLoad(
    () => (manage ? s.api.users().then((p) => p.results) : Promise.resolve([])),
    [s.data.tenantId, manage],
  )
  return (id) => {
    if (!id) return ''
    if (id === s.data.principal.id) return s.data.principal.name
    return data?.find((u) => u.id === id)?.name ?? id
  }
}
