import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readCsv } from './csv.js'
import { Issues, MAX_LISTED_ERRORS } from './issues.js'
import { readJson } from './json-reader.js'
import { parseReferentialFile } from './parse.js'
import type { JsonReferentialKind, ReferentialError, ReferentialKind } from './referential.types.js'
import { containsHtml } from './text.js'

const HEADER = 'RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement'
const csv = (...lines: string[]) => Buffer.from(lines.join('\n') + '\n', 'utf8')
const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2), 'utf8')

function errorsOf(kind: ReferentialKind, bytes: Uint8Array): ReferentialError[] {
  const r = parseReferentialFile(kind, bytes)
  assert.equal(r.ok, false, 'the file should be refused')
  return r.ok ? [] : r.errors
}

function codes(kind: ReferentialKind, bytes: Uint8Array): Array<[number, string, string | undefined]> {
  return errorsOf(kind, bytes).map((e) => [e.line, e.code, e.field])
}

function entries(kind: ReferentialKind, bytes: Uint8Array) {
  const r = parseReferentialFile(kind, bytes)
  if (!r.ok) assert.fail(`refused: ${JSON.stringify(r.errors.slice(0, 5))}`)
  return r.value.entries
}

describe('CSV reader', () => {
  it('reads quoted values over several lines, "" escapes and CRLF, and keeps each record’s first line', () => {
    const issues = new Issues()
    const recs = readCsv('a,b\r\n"x, ""y""","line1\r\nline2"\r\nlast,\r\n', issues)
    assert.equal(issues.count, 0)
    assert.deepEqual(
      recs.map((r) => [r.line, r.fields]),
      [
        [1, ['a', 'b']],
        [2, ['x, "y"', 'line1\r\nline2']],
        [4, ['last', '']],
      ],
    )
  })

  it('reports an unclosed quote at the line where it opens, and text after a closing quote', () => {
    const issues = new Issues()
    readCsv('a,b\n"ok"x,2\n3,"never closed\nmore\n', issues)
    assert.deepEqual(
      issues.list.map((e) => [e.line, e.code]),
      [
        [2, 'CSV_INVALID_QUOTE'],
        [3, 'CSV_UNCLOSED_QUOTE'],
      ],
    )
  })
})

describe('rules CSV', () => {
  it('accepts Vitam’s spellings: BOM, Year/unLimiTEd in any case, a HoldRule without duration, quoted multi-line text', () => {
    const file = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      csv(
        HEADER,
        'APP-1,AppraisalRule,"Dossier, agents","Ligne 1\nLigne 2",80,Year',
        'APP-2,AppraisalRule,X,,unLimiTEd,YEAR',
        'HOL-1,HoldRule,Gel,,,',
        'HOL-2,HoldRule,Gel 5 ans,,5,month',
        'ACC-1,AccessRule,Libre,,0,day',
      ),
    ])
    const rules = entries('rules', file)
    assert.deepEqual(
      rules.map((r) => ('ruleId' in r ? [r.ruleId, r.ruleDuration, r.ruleMeasurement, r.line] : [])),
      [
        ['APP-1', '80', 'YEAR', 2],
        ['APP-2', 'unlimited', 'YEAR', 4],
        ['HOL-1', null, null, 5],
        ['HOL-2', '5', 'MONTH', 6],
        ['ACC-1', '0', 'DAY', 7],
      ],
    )
  })

  it('enforces Vitam’s longest durations: 999 years, 11 988 months, 364 635 days', () => {
    entries(
      'rules',
      csv(
        HEADER,
        'A,AppraisalRule,X,,999,YEAR',
        'B,AppraisalRule,X,,11988,MONTH',
        'C,AppraisalRule,X,,364635,DAY',
      ),
    )
    assert.deepEqual(
      codes(
        'rules',
        csv(
          HEADER,
          'A,AppraisalRule,X,,1000,YEAR',
          'B,AppraisalRule,X,,11989,MONTH',
          'C,AppraisalRule,X,,364636,DAY',
        ),
      ),
      [
        [2, 'RULE_DURATION_TOO_LONG', 'RuleDuration'],
        [3, 'RULE_DURATION_TOO_LONG', 'RuleDuration'],
        [4, 'RULE_DURATION_TOO_LONG', 'RuleDuration'],
      ],
    )
  })

  it('lists every error of the file, each with its line, column and field', () => {
    const errors = errorsOf(
      'rules',
      csv(
        HEADER,
        ',AppraisalRule,X,,1,YEAR',
        'R 2,appraisalrule,X,,1,YEAR',
        'R3,HoldRule,,,9,',
        'R4,HoldRule,X,,,YEAR',
        'R5,AccessRule,X,,1.5,Année',
        'R6,AccessRule,X,<script>alert(1)</script>,,',
        'R7,AccessRule,X,,3',
        '',
        'R5,StorageRule,X,,1,DAY',
      ),
    )
    assert.deepEqual(
      errors.map((e) => [e.line, e.column, e.field, e.code]),
      [
        [2, 1, 'RuleId', 'FIELD_REQUIRED'],
        [3, 1, 'RuleId', 'IDENTIFIER_INVALID'],
        [3, 2, 'RuleType', 'RULE_TYPE_UNKNOWN'],
        [4, 3, 'RuleValue', 'FIELD_REQUIRED'],
        [4, 6, 'RuleMeasurement', 'RULE_DURATION_MEASUREMENT_MISMATCH'],
        [5, 5, 'RuleDuration', 'RULE_DURATION_MEASUREMENT_MISMATCH'],
        [6, 5, 'RuleDuration', 'RULE_DURATION_INVALID'],
        [6, 6, 'RuleMeasurement', 'RULE_MEASUREMENT_INVALID'],
        [7, 4, 'RuleDescription', 'HTML_FORBIDDEN'],
        [7, 5, 'RuleDuration', 'FIELD_REQUIRED'],
        [7, 6, 'RuleMeasurement', 'FIELD_REQUIRED'],
        [8, undefined, undefined, 'CSV_COLUMN_COUNT'],
        [9, undefined, undefined, 'CSV_EMPTY_LINE'],
        [10, 1, 'RuleId', 'DUPLICATE_IDENTIFIER'],
      ],
    )
    assert.match(errors[2]!.message, /AppraisalRule/, 'suggests the right case')
    assert.match(errors.at(-1)!.message, /ligne 6/, 'names the first definition')
  })

  it('checks the header: missing, unknown, unnamed and repeated columns, wrong separator', () => {
    assert.deepEqual(
      codes(
        'rules',
        csv(
          'RuleId;RuleType;RuleValue;RuleDescription;RuleDuration;RuleMeasurement',
          'A;AppraisalRule;X;;1;YEAR',
        ),
      ),
      [[1, 'CSV_WRONG_SEPARATOR', undefined]],
    )
    assert.deepEqual(
      codes(
        'rules',
        csv('RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement,,Extra,RuleId'),
      ),
      [
        [1, 'CSV_UNNAMED_COLUMN', undefined],
        [1, 'CSV_UNKNOWN_COLUMN', 'Extra'],
        [1, 'CSV_DUPLICATE_COLUMN', 'RuleId'],
      ],
    )
    assert.deepEqual(
      codes('rules', csv('RuleId,ruletype,RuleValue,RuleDescription,RuleDuration,RuleMeasurement')),
      [
        [1, 'CSV_MISSING_COLUMN', 'RuleType'],
        [1, 'CSV_UNKNOWN_COLUMN', 'ruletype'],
      ],
    )
    assert.deepEqual(codes('rules', csv(HEADER)), [[1, 'NO_ENTRIES', undefined]])
  })

  it('refuses what is not UTF-8 text, naming every line concerned', () => {
    const latin1 = Buffer.from(
      `${HEADER}\nA,AppraisalRule,Dur\xe9e,,1,YEAR\nB,AppraisalRule,ok,,1,YEAR\nC,AppraisalRule,\xe9t\xe9,,1,YEAR\n`,
      'latin1',
    )
    assert.deepEqual(codes('rules', latin1), [
      [2, 'ENCODING_NOT_UTF8', undefined],
      [4, 'ENCODING_NOT_UTF8', undefined],
    ])
    assert.deepEqual(codes('rules', Buffer.from('\ufeff' + HEADER, 'utf16le')), [
      [1, 'ENCODING_NOT_UTF8', undefined],
    ])
    assert.deepEqual(codes('rules', Buffer.from('%PDF-1.4\n%âãÏÓ\n')), [[1, 'FILE_NOT_TEXT', undefined]])
    assert.deepEqual(codes('rules', Buffer.alloc(0)), [[1, 'FILE_EMPTY', undefined]])
    assert.deepEqual(codes('rules', Buffer.from(`${HEADER}\nA,AppraisalRule,X\x01,,1,YEAR\n`)), [
      [2, 'CONTROL_CHARACTER', undefined],
    ])
  })

  it('survives hostile input: binary garbage, a huge line, a flood of errors', () => {
    let seed = 42
    const garbage = Buffer.alloc(200_000, 0).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed & 0xff
    })
    assert.equal(errorsOf('rules', garbage)[0]!.code, 'FILE_NOT_TEXT')
    const huge = Buffer.from(`${HEADER}\nA,AppraisalRule,${'x'.repeat(9_000_000)},,1,YEAR\n`)
    const t0 = Date.now()
    assert.deepEqual(codes('rules', huge), [[2, 'FIELD_TOO_LONG', undefined]])
    assert.ok(Date.now() - t0 < 5000)
    assert.deepEqual(codes('rules', Buffer.alloc(11 * 1024 * 1024, 0x41)), [[1, 'FILE_TOO_LARGE', undefined]])
    const flood = csv(HEADER, ...Array.from({ length: 5000 }, (_, i) => `R${i},Nope,X,,1,YEAR`))
    const r = parseReferentialFile('rules', flood)
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(r.total, 5000)
      assert.equal(r.errors.length, MAX_LISTED_ERRORS)
    }
  })
})

describe('agencies CSV', () => {
  it('keeps additional columns and checks Identifier and Name on every line', () => {
    const a = entries(
      'agencies',
      csv(
        'Identifier,Name,Description,EntityType,FromDate',
        'AD99,Archives,,corporateBody,',
        'C1,"Commune, Saint-X",Desc,,2020-01-01',
      ),
    )
    assert.deepEqual(
      a.map((x) => ('extra' in x ? [x.identifier, x.name, x.description, x.extra] : [])),
      [
        ['AD99', 'Archives', null, { EntityType: 'corporateBody' }],
        ['C1', 'Commune, Saint-X', 'Desc', { FromDate: '2020-01-01' }],
      ],
    )
    assert.deepEqual(
      codes('agencies', csv('Identifier,Name,Description', 'A,,x', ',B,x', 'A,C,x', 'D,E,<b>gras</b>')),
      [
        [2, 'FIELD_REQUIRED', 'Name'],
        [3, 'FIELD_REQUIRED', 'Identifier'],
        [4, 'DUPLICATE_IDENTIFIER', 'Identifier'],
        [5, 'HTML_FORBIDDEN', 'Description'],
      ],
    )
    assert.deepEqual(codes('agencies', csv('Identifier/Name/Description', 'a/b/c')), [
      [1, 'CSV_WRONG_SEPARATOR', undefined],
    ])
  })
})

describe('JSON reader', () => {
  it('reports syntax errors with line and column', () => {
    const r = readJson('[\n  {\n    "Name": "A"\n    "Status": "ACTIVE"\n  }\n]')
    assert.equal(r.ok, false)
    if (!r.ok) assert.deepEqual([r.error.line, r.error.column, r.error.code], [4, 5, 'JSON_SYNTAX'])
  })

  it('refuses a million nested brackets at the depth limit, without exhausting the stack', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000)
    const t0 = Date.now()
    const r = readJson(deep)
    assert.equal(r.ok, false)
    if (!r.ok) assert.deepEqual([r.error.line, r.error.column, r.error.code], [1, 65, 'JSON_TOO_DEEP'])
    assert.ok(Date.now() - t0 < 2000)
    assert.deepEqual(codes('access-contracts', Buffer.from(deep)), [[1, 'JSON_TOO_DEEP', undefined]])
  })

  it('keeps __proto__ as a plain key and reports duplicate keys', () => {
    const r = readJson('{"__proto__": {"polluted": true}, "a": 1, "a": 2}')
    assert.equal(r.ok, true)
    if (r.ok) {
      assert.deepEqual(
        r.doc.duplicates.map((d) => [d.key, d.column]),
        [['a', 43]],
      )
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
    }
  })
})

describe('contracts and profiles JSON', () => {
  it('fills in Vitam’s defaults and drops Vitam’s technical fields', () => {
    const [c] = entries(
      'ingest-contracts',
      json([{ '#id': 'x', _tenant: 0, Name: 'Minimal', Identifier: 'IC-1' }]),
    )
    assert.ok(c && 'body' in c)
    assert.equal(c.status, 'INACTIVE')
    assert.deepEqual(c.body, {
      Identifier: 'IC-1',
      Name: 'Minimal',
      Status: 'INACTIVE',
      CheckParentLink: 'AUTHORIZED',
      CheckParentId: [],
      MasterMandatory: true,
      EveryDataObjectVersion: false,
      DataObjectVersion: [],
      FormatUnidentifiedAuthorized: false,
      EveryFormatType: true,
      FormatType: [],
      ComputeInheritedRulesAtIngest: false,
      ArchiveProfiles: [],
    })
  })

  it('checks types, enumerations, dates, unknown fields, HTML and duplicates, each at its line', () => {
    const file = json([
      {
        Identifier: 'AC-1',
        Name: 'Un',
        Status: 'ACTIF',
        WritingPermission: 'oui',
        CreationDate: '31/02/2020',
        everyOriginatingAgency: true,
        DataObjectVersion: ['BinaryMaster', 'Original'],
        Description: 'voir <a href="x">ici</a>',
      },
      { Identifier: 'AC-1', Name: 'Un' },
      'pas un objet',
    ])
    const errors = errorsOf('access-contracts', file)
    assert.deepEqual(
      errors.map((e) => [e.line, e.code, e.field]),
      [
        [5, 'FIELD_ENUM', 'Status'],
        [6, 'FIELD_TYPE', 'WritingPermission'],
        [7, 'DATE_INVALID', 'CreationDate'],
        [8, 'FIELD_UNKNOWN', 'everyOriginatingAgency'],
        [11, 'FIELD_ENUM', 'DataObjectVersion[1]'],
        [13, 'HTML_FORBIDDEN', 'Description'],
        [16, 'DUPLICATE_IDENTIFIER', 'Identifier'],
        [17, 'DUPLICATE_NAME', 'Name'],
        [19, 'JSON_NOT_OBJECT', undefined],
      ],
    )
    assert.match(errors[3]!.message, /EveryOriginatingAgency/, 'suggests the known field')
  })

  it('refuses two contracts with the same Name but accepts two profiles with the same Name', () => {
    assert.deepEqual(
      codes(
        'ingest-contracts',
        json([
          { Identifier: 'A', Name: 'N' },
          { Identifier: 'B', Name: 'N' },
        ]),
      ),
      [[8, 'DUPLICATE_NAME', 'Name']],
    )
    assert.equal(
      entries(
        'profiles',
        json([
          { Identifier: 'A', Name: 'N', Format: 'RNG' },
          { Identifier: 'B', Name: 'N', Format: 'XSD' },
        ]),
      ).length,
      2,
    )
  })

  it('applies Vitam’s rules between fields of an ingest contract', () => {
    assert.deepEqual(codes('ingest-contracts', json([{ Name: 'A', FormatType: ['fmt/18'] }])), [
      [4, 'CONTRADICTORY_FIELDS', 'FormatType'],
    ])
    assert.deepEqual(codes('ingest-contracts', json([{ Name: 'A', EveryFormatType: false }])), [
      [4, 'FIELD_REQUIRED', 'FormatType'],
    ])
    assert.deepEqual(
      codes('ingest-contracts', json([{ Name: 'A', EveryFormatType: false, FormatType: ['PDF'] }])),
      [[6, 'FIELD_FORMAT', 'FormatType[0]']],
    )
    entries(
      'ingest-contracts',
      json([{ Name: 'A', EveryFormatType: false, FormatType: ['fmt/18', 'x-fmt/111'] }]),
    )
  })

  it('keeps the original numérique’s first version in a management contract', () => {
    const mc = (vrp: unknown) => json([{ Identifier: 'MC', Name: 'M', VersionRetentionPolicy: vrp }])
    entries(
      'management-contracts',
      mc({
        InitialVersion: true,
        IntermediaryVersion: 'LAST',
        Usages: [{ UsageName: 'Dissemination', InitialVersion: false, IntermediaryVersion: 'NONE' }],
      }),
    )
    assert.equal(
      errorsOf('management-contracts', mc({ InitialVersion: false, IntermediaryVersion: 'ALL' }))[0]!.code,
      'RETENTION_POLICY_INVALID',
    )
    assert.equal(
      errorsOf(
        'management-contracts',
        mc({
          InitialVersion: true,
          IntermediaryVersion: 'ALL',
          Usages: [{ UsageName: 'BinaryMaster', InitialVersion: false, IntermediaryVersion: 'ALL' }],
        }),
      )[0]!.code,
      'RETENTION_POLICY_INVALID',
    )
  })

  it('checks an archive-unit profile’s ControlSchema', () => {
    const aup = (cs: string) => json([{ Identifier: 'AUP-1', Name: 'Doc', ControlSchema: cs }])
    const [ok] = entries(
      'archive-unit-profiles',
      aup('{"type":"object","properties":{"Title":{"type":["string","array"]},"_id":{}}}'),
    )
    assert.ok(ok && 'refs' in ok)
    assert.deepEqual(
      ok.refs.map((r) => [r.target, r.id]),
      [['ontology', 'Title']],
    )
    assert.equal(
      errorsOf('archive-unit-profiles', aup('{"type": "object", "properties": {'))[0]!.code,
      'SCHEMA_INVALID',
    )
    assert.equal(
      errorsOf('archive-unit-profiles', aup('{"properties": {"A": {"type": "texte"}}}'))[0]!.code,
      'SCHEMA_INVALID',
    )
    assert.equal(errorsOf('archive-unit-profiles', aup('[]'))[0]!.code, 'SCHEMA_INVALID')
  })

  it('wants a JSON array of objects, not empty', () => {
    const kinds: JsonReferentialKind[] = [
      'ingest-contracts',
      'access-contracts',
      'management-contracts',
      'profiles',
      'archive-unit-profiles',
    ]
    for (const k of kinds) {
      assert.deepEqual(codes(k, json({ Name: 'A' })), [[1, 'JSON_NOT_ARRAY', undefined]])
      assert.deepEqual(codes(k, json([])), [[1, 'NO_ENTRIES', undefined]])
    }
  })
})

describe('HTML detection', () => {
  it('flags tags, scripts and javascript: URLs, not a lone “<”', () => {
    for (const s of [
      '<i>x</i>',
      '</p>',
      '<br/>',
      '<script',
      'a <img src=x onerror=alert(1)>',
      'javascript:alert(1)',
      '<!-- x -->',
    ]) {
      assert.equal(containsHtml(s), true, s)
    }
    for (const s of ['communes < 2 000 habitants', 'a<b', 'Durée : 5 ans', 'x -> y', '3 < 4 > 2']) {
      assert.equal(containsHtml(s), false, s)
    }
  })
})
