import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'saeh-data/**', 'web/dist/**', 'src/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/modules/**/*.ts', 'src/platform/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-support.ts', '**/*.test-support.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/http/**', '**/cli/**', '**/jobs/**', '**/main/**'],
              message: 'Domain and platform code must not depend on delivery layers.',
            },
            { group: ['fastify', '@fastify/*'], message: 'Keep Fastify in src/http.' },
          ],
        },
      ],
    },
  },
)
