import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { computeEndDate, containsHtml, normaliseDate } from './metadata-checks.js'

describe('metadata checks', () => {
  it('normalises the dates producers write', () => {
    assert.deepEqual(normaliseDate('1952'), { iso: '1952', start: '1952-01-01', precision: 'year' })
    assert.deepEqual(normaliseDate('1952-03'), { iso: '1952-03', start: '1952-03-01', precision: 'month' })
    assert.deepEqual(normaliseDate('2016-02-29'), {
      iso: '2016-02-29',
      start: '2016-02-29',
      precision: 'day',
    })
    assert.equal(
      (normaliseDate('2016-06-03T15:28:00+02:00') as { iso: string }).iso,
      '2016-06-03T13:28:00.000Z',
    )
    assert.equal((normaliseDate('2016-06-03T15:28:00') as { iso: string }).iso, '2016-06-03T15:28:00.000Z')
  })

  it('refuses impossible dates with a reason', () => {
    for (const bad of ['2015-02-29', '2016-13-01', '9000-01-01', 'hier', '2016-06-03T25:00:00', '']) {
      const r = normaliseDate(bad)
      assert.ok('error' in r, `${bad} should be refused`)
    }
  })

  it('computes end dates on the calendar', () => {
    assert.equal(computeEndDate('2000-01-01', '10', 'YEAR'), '2010-01-01')
    assert.equal(computeEndDate('2016-02-29', '1', 'YEAR'), '2017-02-28')
    assert.equal(computeEndDate('2020-01-31', '1', 'MONTH'), '2020-02-29')
    assert.equal(computeEndDate('2020-11-15', '3', 'Month'), '2021-02-15')
    assert.equal(computeEndDate('2020-12-31', '1', 'DAY'), '2021-01-01')
    assert.equal(computeEndDate('2020-01-01', 'unlimited', 'YEAR'), null)
    assert.equal(computeEndDate('2020-01-01', null, null), null)
  })

  it('spots HTML and script in metadata', () => {
    assert.equal(containsHtml('<script>alert(1)</script>'), true)
    assert.equal(containsHtml('Voir <a href="http://x">ici</a>'), true)
    assert.equal(containsHtml('<b>gras</b>'), true)
    assert.equal(containsHtml('javascript:alert(1)'), true)
    assert.equal(containsHtml('Délibération n° 2024-12 < 3 pages > rien'), false)
    assert.equal(containsHtml('a < b et c > d'), false)
    assert.equal(containsHtml('Conseil municipal du 12/03/1952'), false)
  })
})
