/** Entry point: language, session, layout (header, navigation, main) and the table of screens. */
import { StrictMode, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import type { Permission } from '../../modules/tenancy/tenancy.types.js'
import { ApiClient } from './api.js'
import { ErrorBoundary, Forbidden } from './components.js'
import { I18nContext, LANGS, translator, useI18n, type Lang, type MessageKey } from './i18n.js'
import { Link, match, navigate, useLocation } from './router.js'
import {
  loadSession,
  makeSession,
  saveSession,
  SessionContext,
  useSession,
  type Session,
  type SessionData,
} from './session.js'
import { ApiKeysScreen } from './screens/apikeys.js'
import { HomeScreen } from './screens/home.js'
import { LoginScreen } from './screens/login.js'
import { LogbookScreen, OperationScreen } from './screens/logbook.js'
import { ReferentialsScreen } from './screens/referentials.js'
import { SearchScreen } from './screens/search.js'
import { TenantsScreen } from './screens/tenants.js'
import { TransferScreen, TransfersScreen } from './screens/transfers.js'
import { UnitScreen } from './screens/unit.js'
import { UsersScreen } from './screens/users.js'
import { AccessLogScreen } from './screens/admin-accesslog.js'
import { AuditScreen, AuditsScreen } from './screens/admin-audits.js'
import { ContractsScreen } from './screens/admin-contracts.js'
import { TreeNodeScreen, TreeRootsScreen } from './screens/admin-tree.js'
import { BoxesScreen, BoxScreen } from './screens/physical-boxes.js'
import { InventoriesScreen, InventoryScreen } from './screens/physical-inventory.js'
import { LabelsScreen } from './screens/physical-labels.js'
import { LocationsScreen } from './screens/physical-locations.js'
import { MyRequestsScreen, RequestScreen, RequestsScreen } from './screens/physical-requests.js'
import { TransferFormScreen } from './screens/physical-transfer.js'
import { ChangesScreen } from './screens/lifecycle-changes.js'
import {
  AnalysisScreen,
  EliminationScreen,
  EliminationsScreen,
  PendingVisasScreen,
  VisaScreen,
} from './screens/lifecycle-elimination.js'
import { visaTenants } from './screens/lifecycle-common.js'
import { HoldsScreen } from './screens/lifecycle-holds.js'
import { RegisterScreen } from './screens/lifecycle-register.js'
import { OutgoingTransferScreen, OutgoingTransfersScreen } from './screens/lifecycle-transfers.js'
import './styles.css'

interface Route {
  readonly path: string
  readonly nav?: MessageKey
  readonly group?: 'admin' | 'physical' | 'lifecycle'
  /** Shown and reachable only with this permission in the current tenant. */
  readonly needs?: Permission
  /** Only for the platform administrator. */
  readonly platform?: boolean
  /** A further condition on the session (e.g. a control-authority grant over the current tenant). */
  readonly when?: (s: Session) => boolean
  readonly render: (p: Record<string, string>) => ReactNode
}

const ROUTES: readonly Route[] = [
  { path: '/', nav: 'nav.home', render: () => <HomeScreen /> },
  { path: '/transfers', nav: 'nav.transfers', needs: 'ingest.submit', render: () => <TransfersScreen /> },
  { path: '/transfers/:id', needs: 'logbook.read', render: (p) => <TransferScreen id={p.id!} /> },
  { path: '/search', nav: 'nav.search', needs: 'archive.read', render: () => <SearchScreen /> },
  { path: '/units/:id', needs: 'archive.read', render: (p) => <UnitScreen id={p.id!} /> },
  { path: '/tree', nav: 'nav.tree', needs: 'archive.read', render: () => <TreeRootsScreen /> },
  { path: '/tree/:id', needs: 'archive.read', render: (p) => <TreeNodeScreen id={p.id!} /> },
  { path: '/logbook', nav: 'nav.logbook', needs: 'logbook.read', render: () => <LogbookScreen /> },
  { path: '/logbook/:id', needs: 'logbook.read', render: (p) => <OperationScreen id={p.id!} /> },
  // ── physical archives and requests (screens/physical-*.tsx) ──
  {
    path: '/requests/mine',
    nav: 'nav.phys.myRequests',
    needs: 'archive.read',
    render: () => <MyRequestsScreen />,
  },
  {
    path: '/physical/locations',
    nav: 'nav.phys.locations',
    group: 'physical',
    needs: 'archive.manage',
    render: () => <LocationsScreen />,
  },
  {
    path: '/physical/boxes',
    nav: 'nav.phys.boxes',
    group: 'physical',
    needs: 'archive.manage',
    render: () => <BoxesScreen />,
  },
  { path: '/physical/boxes/:id', needs: 'archive.read', render: (p) => <BoxScreen id={p.id!} /> },
  {
    path: '/physical/transfer-form',
    nav: 'nav.phys.form',
    group: 'physical',
    needs: 'ingest.submit',
    render: () => <TransferFormScreen />,
  },
  {
    path: '/physical/inventories',
    nav: 'nav.phys.inventories',
    group: 'physical',
    needs: 'archive.manage',
    render: () => <InventoriesScreen />,
  },
  { path: '/physical/inventories/:id', needs: 'archive.read', render: (p) => <InventoryScreen id={p.id!} /> },
  {
    path: '/physical/labels',
    nav: 'nav.phys.labels',
    group: 'physical',
    needs: 'archive.manage',
    render: () => <LabelsScreen />,
  },
  {
    path: '/requests',
    nav: 'nav.phys.requests',
    group: 'physical',
    needs: 'archive.manage',
    render: () => <RequestsScreen />,
  },
  { path: '/requests/:id', needs: 'archive.read', render: (p) => <RequestScreen id={p.id!} /> },
  // ── lifecycle (elimination, holds, outgoing transfers, reclassification and rules, register) ──
  // For the service's staff (logbook.read: archivist, producer, control authority), not for readers.
  {
    path: '/eliminations',
    nav: 'lc.nav.eliminations',
    group: 'lifecycle',
    needs: 'logbook.read',
    render: () => <EliminationsScreen />,
  },
  {
    path: '/eliminations/analysis/:id',
    needs: 'logbook.read',
    render: (p) => <AnalysisScreen id={p.id!} />,
  },
  { path: '/eliminations/:id', needs: 'logbook.read', render: (p) => <EliminationScreen id={p.id!} /> },
  {
    path: '/eliminations/:id/visa',
    needs: 'control.visa',
    render: (p) => <VisaScreen id={p.id!} />,
  },
  {
    path: '/visas',
    nav: 'lc.nav.visas',
    group: 'lifecycle',
    needs: 'control.visa',
    when: (s) => visaTenants(s).length > 0,
    render: () => <PendingVisasScreen />,
  },
  {
    path: '/holds',
    nav: 'lc.nav.holds',
    group: 'lifecycle',
    needs: 'logbook.read',
    render: () => <HoldsScreen />,
  },
  {
    path: '/outgoing',
    nav: 'lc.nav.outgoing',
    group: 'lifecycle',
    needs: 'archive.manage',
    render: () => <OutgoingTransfersScreen />,
  },
  { path: '/outgoing/:id', needs: 'logbook.read', render: (p) => <OutgoingTransferScreen id={p.id!} /> },
  {
    path: '/changes',
    nav: 'lc.nav.changes',
    group: 'lifecycle',
    needs: 'archive.manage',
    render: () => <ChangesScreen />,
  },
  {
    path: '/register',
    nav: 'lc.nav.register',
    group: 'lifecycle',
    needs: 'logbook.read',
    render: () => <RegisterScreen />,
  },
  {
    path: '/admin/tenants',
    nav: 'nav.tenants',
    group: 'admin',
    platform: true,
    render: () => <TenantsScreen />,
  },
  {
    path: '/admin/users',
    nav: 'nav.users',
    group: 'admin',
    needs: 'principal.manage',
    render: () => <UsersScreen />,
  },
  {
    path: '/admin/api-keys',
    nav: 'nav.apikeys',
    group: 'admin',
    needs: 'principal.manage',
    render: () => <ApiKeysScreen />,
  },
  {
    path: '/admin/referentials',
    nav: 'nav.referentials',
    group: 'admin',
    needs: 'referential.read',
    render: () => <ReferentialsScreen />,
  },
  // ── admin area (the classification tree is above, next to search): access contracts, audits and seals, access log ──
  {
    path: '/admin/access-contracts',
    nav: 'nav.contracts',
    group: 'admin',
    needs: 'principal.manage',
    render: () => <ContractsScreen />,
  },
  {
    path: '/admin/audits',
    nav: 'nav.audits',
    group: 'admin',
    needs: 'archive.manage',
    render: () => <AuditsScreen />,
  },
  { path: '/admin/audits/:id', needs: 'archive.manage', render: (p) => <AuditScreen id={p.id!} /> },
  {
    path: '/admin/access-log',
    nav: 'nav.accessLog',
    group: 'admin',
    needs: 'archive.manage',
    render: () => <AccessLogScreen />,
  },
]

function allowed(r: Route, s: ReturnType<typeof useSession>): boolean {
  if (r.platform && !s.platformAdmin) return false
  if (r.when && !r.when(s)) return false
  return !r.needs || s.can(r.needs)
}

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n()
  return (
    <span className="lang">
      <label htmlFor="lang-switch">{t('app.language')}</label>
      <select id="lang-switch" value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {l === 'fr' ? 'Français' : 'English'}
          </option>
        ))}
      </select>
    </span>
  )
}

function Shell({ path }: { path: string }) {
  const s = useSession()
  const { t } = useI18n()
  const mainRef = useRef<HTMLElement>(null)
  const found = ROUTES.map((r) => ({ r, p: match(r.path, path) })).find((x) => x.p !== null)
  const visible = ROUTES.filter((r) => r.nav && allowed(r, s))
  const link = (r: Route) => (
    <li key={r.path}>
      <Link to={r.path} aria-current={r.path === path ? 'page' : undefined}>
        {t(r.nav!)}
      </Link>
    </li>
  )
  useEffect(() => {
    document.title = `${found?.r.nav ? t(found.r.nav) : t('app.name')} — SAEH`
  }, [found, t])
  // After a navigation (not the first page), focus moves to the new content, as a page load would.
  const shownPath = useRef(path)
  useEffect(() => {
    if (shownPath.current !== path) mainRef.current?.focus()
    shownPath.current = path
  }, [path])
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <div className="brand">
          <strong>{t('app.name')}</strong> <span className="muted">{t('app.tagline')}</span>
        </div>
        <div className="top-tools">
          {s.data.tenants.length > 0 ? (
            <span className="tenant">
              <label htmlFor="tenant-switch">{t('session.tenant')}</label>
              <select
                id="tenant-switch"
                value={s.data.tenantId ?? ''}
                onChange={(e) => s.setTenant(e.target.value)}
              >
                {s.data.tenants.map((tn) => (
                  <option key={tn.id} value={tn.id}>
                    {tn.name} ({tn.id})
                  </option>
                ))}
              </select>
            </span>
          ) : null}
          <LanguageSwitch />
          <span className="muted">{t('session.signedInAs', { name: s.data.principal.name })}</span>
          <button type="button" className="button secondary" onClick={s.logout}>
            {t('session.logout')}
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="side" aria-label={t('nav.label')}>
          <ul>{visible.filter((r) => !r.group).map(link)}</ul>
          {visible.some((r) => r.group === 'physical') ? (
            <>
              <h2 className="nav-group">{t('nav.phys.group')}</h2>
              <ul>{visible.filter((r) => r.group === 'physical').map(link)}</ul>
            </>
          ) : null}
          {visible.some((r) => r.group === 'lifecycle') ? (
            <>
              <h2 className="nav-group">{t('lc.nav.group')}</h2>
              <ul>{visible.filter((r) => r.group === 'lifecycle').map(link)}</ul>
            </>
          ) : null}
          {visible.some((r) => r.group === 'admin') ? (
            <>
              <h2 className="nav-group">{t('nav.admin')}</h2>
              <ul>{visible.filter((r) => r.group === 'admin').map(link)}</ul>
            </>
          ) : null}
        </nav>
        <main id="main" ref={mainRef} tabIndex={-1}>
          <ErrorBoundary key={path} t={t}>
            {!s.tenant && s.data.tenants.length === 0 ? (
              <div className="alert alert-error" role="alert">
                {t('session.noTenant')}
              </div>
            ) : !found ? (
              <p role="alert">{t('error.pageNotFound')}</p>
            ) : !allowed(found.r, s) ? (
              <Forbidden />
            ) : (
              <div key={s.data.tenantId}>{found.r.render(found.p!)}</div>
            )}
          </ErrorBoundary>
        </main>
      </div>
    </>
  )
}

function App() {
  const [lang, setLangState] = useState<Lang>(() =>
    localStorage.getItem('saeh.lang') === 'en' ? 'en' : 'fr',
  )
  const [data, setData] = useState<SessionData | null>(() => loadSession())
  const [flash, setFlash] = useState<MessageKey | null>(null)
  const dataRef = useRef(data)
  dataRef.current = data
  const { path } = useLocation()

  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('saeh.lang', l)
    setLangState(l)
  }, [])
  useEffect(() => {
    document.documentElement.lang = lang
  }, [lang])
  const i18n = useMemo(() => ({ lang, t: translator(lang), setLang }), [lang, setLang])

  const signOut = useCallback((message: MessageKey) => {
    saveSession(null)
    setData(null)
    setFlash(message)
    navigate('/login', true)
  }, [])

  const api = useMemo(
    () =>
      new ApiClient(
        () => ({ token: dataRef.current?.token ?? null, tenantId: dataRef.current?.tenantId ?? null }),
        () => {
          if (dataRef.current) signOut('session.expired')
        },
      ),
    [signOut],
  )

  const signIn = (d: SessionData) => {
    saveSession(d)
    setData(d)
    setFlash(null)
    navigate('/', true)
  }

  const session = useMemo(() => {
    if (!data) return null
    return makeSession(
      data,
      api,
      (id) => {
        const next = { ...data, tenantId: id }
        saveSession(next)
        setData(next)
      },
      (tenants) => {
        const next = { ...data, tenants }
        saveSession(next)
        setData(next)
      },
      () => {
        void api.logout().catch(() => {})
        signOut('session.loggedOut')
      },
    )
  }, [data, api, signOut])

  useEffect(() => {
    if (!data && path !== '/login') navigate('/login', true)
    if (data && path === '/login') navigate('/', true)
  }, [data, path])

  return (
    <I18nContext.Provider value={i18n}>
      {!session ? (
        <LoginScreen api={api} flash={flash} onSignedIn={signIn} languageSwitch={<LanguageSwitch />} />
      ) : (
        <SessionContext.Provider value={session}>
          <Shell path={path === '/login' ? '/' : path} />
        </SessionContext.Provider>
      )}
    </I18nContext.Provider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
