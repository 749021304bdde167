// Lint rules for every package. Formatting is Prettier's job (`npm run format`); these rules catch
// bugs: promises nobody awaits (a test that passes vacuously, an unhandled rejection that kills the
// gateway), misused async callbacks, and leftovers a reviewer should not have to spot by eye.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/test-output/**',
      'packages/schema/src/generated/**',
      'packages/schema/generated/**',
      '**/.stryker-tmp/**',
      'reports/**',
      'packages/client/examples/web-chat/public/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['packages/*/vitest.config.ts', 'packages/*/vitest.*.config.ts', 'stryker.config.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['packages/client/examples/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Command-line tools and scripts talk to their user on the console; tests print the figures they measure.
    files: ['**/scripts/**', 'bench/**', 'soak/**', 'packages/*/src/cli*.ts', '**/test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/test/**', 'bench/**', 'soak/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-this-alias': 'off' },
  },
);
