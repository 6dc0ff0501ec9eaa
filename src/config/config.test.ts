import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from './config.js'

describe('configuration', () => {
  it('defaults to the embedded instance in ./saeh-data', () => {
    const c = loadConfig({}, { home: '/srv/saeh' })
    assert.deepEqual(c.database, { dialect: 'sqlite', file: '/srv/saeh/saeh.db' })
    assert.deepEqual(
      c.offers.map((o) => (o.kind === 'fs' ? o.root : o.bucket)),
      ['/srv/saeh/offers/a', '/srv/saeh/offers/b'],
    )
    assert.equal(c.port, 8080)
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.offers) && Object.isFrozen(c.offers[0]))
  })

  it('reads PostgreSQL and S3 settings', () => {
    const c = loadConfig({
      SAEH_DATABASE_URL: 'postgres://saeh@db.internal:5432/saeh',
      SAEH_OFFERS: 'fs:///var/lib/saeh/a, s3://saeh-archives?endpoint=http://127.0.0.1:7480&region=eu-west-3',
      SAEH_PORT: '9090',
    })
    assert.equal(c.database.dialect, 'postgres')
    assert.equal(c.offers.length, 2)
    const s3 = c.offers[1]!
    assert.equal(s3.kind, 's3')
    if (s3.kind === 's3') {
      assert.equal(s3.bucket, 'saeh-archives')
      assert.equal(s3.endpoint, 'http://127.0.0.1:7480')
      assert.equal(s3.region, 'eu-west-3')
    }
    assert.equal(c.port, 9090)
  })

  it('reports every invalid setting at once, naming each variable', () => {
    try {
      loadConfig({
        SAEH_PORT: '70000',
        SAEH_DATABASE_URL: 'oracle://x',
        SAEH_OFFERS: 'fs://relative/path,s3://Bad_Bucket',
        SAEH_LOG_LEVEL: 'loud',
        SAEH_HOMEDIR: '/x',
      })
      assert.fail('should have thrown')
    } catch (e) {
      const err = e as {
        code: string
        details: { issues: Array<{ variable: string; message: string }> }
        message: string
      }
      assert.equal(err.code, 'CONFIG_INVALID')
      const vars = err.details.issues.map((i) => i.variable)
      assert.deepEqual(vars.sort(), [
        'SAEH_DATABASE_URL',
        'SAEH_HOMEDIR',
        'SAEH_LOG_LEVEL',
        'SAEH_OFFERS',
        'SAEH_OFFERS',
        'SAEH_PORT',
      ])
      assert.match(err.message, /SAEH_PORT: must be between 0 and 65535/)
    }
  })

  it('refuses the same offer listed twice', () => {
    assert.throws(() => loadConfig({ SAEH_OFFERS: 'fs:///a,fs:///a' }), /listed twice/)
  })
})
