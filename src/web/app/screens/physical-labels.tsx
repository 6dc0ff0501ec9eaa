/** Étiquettes: box labels (Code 128 or QR) for chosen boxes or a location, and the shelf list PDF. */
import { useState } from 'react'
import { physicalApi } from '../api-physical.js'
import { ErrorMessage, saveBlob, useLoad } from '../components.js'
import { useI18n } from '../i18n.js'
import { useLocation } from '../router.js'
import { useSession } from '../session.js'
import { locationLabel } from './physical-common.js'

/** Opens (new tab, blob: URL) or downloads a PDF of the API with the session's credentials. */
function PdfButtons({ path, name, what }: { path: string | null; name: string; what: string }) {
  const { api } = useSession()
  const { t } = useI18n()
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const get = async (open: boolean) => {
    if (!path) return
    setError(null)
    setBusy(true)
    // The tab is opened now, inside the click, or the browser would block it as a pop-up.
    const tab = open ? window.open('', '_blank') : null
    try {
      const blob = await api.blob(path)
      if (tab) tab.location.href = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }))
      else saveBlob(blob, name)
    } catch (err) {
      tab?.close()
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="actions">
      <button type="button" className="button" disabled={!path || busy} onClick={() => void get(true)}>
        {t('phys.labels.open', { what })}
      </button>
      <button
        type="button"
        className="button secondary"
        disabled={!path || busy}
        onClick={() => void get(false)}
      >
        {t('phys.labels.download', { what })}
      </button>
      <ErrorMessage error={error} />
    </div>
  )
}

export function LabelsScreen() {
  const { api } = useSession()
  const { t } = useI18n()
  const { query } = useLocation()
  const tree = useLoad(() => physicalApi.locations(api), [])
  const [mode, setMode] = useState<'boxes' | 'location'>(query.get('boxes') ? 'boxes' : 'location')
  const [boxes, setBoxes] = useState(query.get('boxes') ?? '')
  const [location, setLocation] = useState('')
  const [symbology, setSymbology] = useState<'code128' | 'qrcode'>('code128')
  const nodes = tree.data?.locations ?? []
  const list = boxes
    .split(/[\s,;]+/)
    .map((b) => b.trim())
    .filter((b) => b !== '')
  const labelsPath =
    mode === 'boxes'
      ? list.length > 0
        ? physicalApi.labelsPath({ boxes: list, symbology })
        : null
      : location
        ? physicalApi.labelsPath({ location, symbology })
        : null
  return (
    <section aria-labelledby="labels-title">
      <h1 id="labels-title">{t('phys.labels.title')}</h1>
      <form className="card" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>{t('phys.labels.which')}</legend>
          <label className="check">
            <input
              type="radio"
              name="which"
              checked={mode === 'location'}
              onChange={() => setMode('location')}
            />{' '}
            {t('phys.labels.byLocation')}
          </label>
          <label className="check">
            <input type="radio" name="which" checked={mode === 'boxes'} onChange={() => setMode('boxes')} />{' '}
            {t('phys.labels.byBoxes')}
          </label>
        </fieldset>
        {mode === 'boxes' ? (
          <>
            <label htmlFor="labels-boxes">{t('phys.labels.boxes')}</label>
            <textarea id="labels-boxes" rows={3} value={boxes} onChange={(e) => setBoxes(e.target.value)} />
          </>
        ) : null}
        <label htmlFor="labels-location">{t('phys.labels.location')}</label>
        <select id="labels-location" value={location} onChange={(e) => setLocation(e.target.value)}>
          <option value="">{t('phys.labels.chooseLocation')}</option>
          {nodes.map((n) => (
            <option key={n.id} value={n.id}>
              {locationLabel(n)}
            </option>
          ))}
        </select>
        <ErrorMessage error={tree.error} />
        <fieldset>
          <legend>{t('phys.labels.symbology')}</legend>
          <label className="check">
            <input
              type="radio"
              name="symbology"
              checked={symbology === 'code128'}
              onChange={() => setSymbology('code128')}
            />{' '}
            Code 128
          </label>
          <label className="check">
            <input
              type="radio"
              name="symbology"
              checked={symbology === 'qrcode'}
              onChange={() => setSymbology('qrcode')}
            />{' '}
            QR code
          </label>
        </fieldset>
      </form>
      <h2>{t('phys.labels.labels')}</h2>
      <p className="muted">{t('phys.labels.labelsHelp')}</p>
      <PdfButtons path={labelsPath} name="etiquettes.pdf" what={t('phys.labels.labelsWhat')} />
      <h2>{t('phys.labels.shelfList')}</h2>
      <p className="muted">{t('phys.labels.shelfListHelp')}</p>
      <PdfButtons
        path={location ? physicalApi.shelfListPath(location) : null}
        name="liste-topographique.pdf"
        what={t('phys.labels.shelfListWhat')}
      />
    </section>
  )
}
