// pgdock's lint: ESLint's and typescript-eslint's recommended rules, plus the one boundary an
// import graph cannot see: Mocha's globals. Import boundaries are in .dependency-cruiser.cjs.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * What @types/mocha declares globally. Once any file imports 'mocha' (hooks/register and
 * lib/mocha do), TypeScript shows these to every file of the program, tsconfig.build.json's
 * `types: ["node"]` notwithstanding: so this rule, not the compiler, keeps them in lib/mocha.
 */
const MOCHA_GLOBAL_NAMES = [
  'after', 'afterEach', 'before', 'beforeEach', 'context', 'describe', 'it', 'run', 'setup', 'specify',
  'suite', 'suiteSetup', 'suiteTeardown', 'teardown', 'test', 'xcontext', 'xdescribe', 'xit', 'xspecify',
  'mocha', 'Mocha',
];
const MOCHA_MESSAGE = "Mocha's globals belong to lib/mocha/ and hooks/ (the Mocha adapter): take what you need as a parameter, or move the code there.";
/** no-restricted-globals sees values only; these catch the same names in types (`Mocha.Test`, `typeof it`). */
const MOCHA_IN_TYPES = [
  { selector: "TSQualifiedName[left.name='Mocha']", message: MOCHA_MESSAGE },
  { selector: `TSTypeQuery[exprName.name=/^(${MOCHA_GLOBAL_NAMES.join('|')})$/]`, message: MOCHA_MESSAGE },
];

/** Node's globals the CommonJS files use (ESLint's `commonjs` source type adds require/module/exports). */
const NODE_GLOBALS = { process: 'readonly', console: 'readonly', __dirname: 'readonly' };

export default defineConfig(
  globalIgnores(['dist/', 'reports/', '.bench/', 'fixtures/', 'bench/results/']),
  {
    files: ['**/*.ts', '**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
  },
  {
    // chai's property assertions (`expect(x).to.exist`, `.to.be.empty`) are expressions by design.
    files: ['spec/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: NODE_GLOBALS },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/mocha/**'],
    rules: {
      'no-restricted-globals': ['error', ...MOCHA_GLOBAL_NAMES.map((name) => ({ name, message: MOCHA_MESSAGE }))],
      'no-restricted-syntax': ['error', ...MOCHA_IN_TYPES],
    },
  },
);
