import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The CommonJS scripts Node runs directly: bin entry points (the driver
// wrappers have no extension), build and packaging scripts.
const nodeScripts = [
  'cli/bin/*.js',
  // Named patterns: ESLint only picks up extensionless files a pattern names.
  'cli/bin/machine-driver-*',
  'plugins/*/bin/machine-driver-*',
  'cli/scripts/**/*.js',
  'plugins/*/scripts/**/*.js',
  'proto/scripts/**/*.js',
  'scripts/**/*.js',
  'create-machine-driver/bin/*.js',
  // Vendor packages the tests publish: their kit tests are plain CommonJS.
  'test/fixtures/*/test/**/*.js',
];


export default tseslint.config(
  // proto/src/gen/codecs.ts is pbjs's JavaScript as it generates it (see proto/scripts/gen.js).
  { ignores: ['**/node_modules/**', '**/lib/**', '**/dist/**', 'test/.state/**', '**/*.mjs', '**/*.cjs', 'proto/src/gen/codecs.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: nodeScripts,
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2022, globals: globals.node },
    rules: {
      // CommonJS scripts load modules with require().
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
