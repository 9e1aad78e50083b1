import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', '.sandbox/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  {
    // Test doubles stay out of production paths: only the sandbox loader (src/sandbox*.ts), the simulators themselves
    // and tests may import them (serve loads the sandbox with a dynamic import, in sandbox mode only).
    files: ['**/*.ts'],
    ignores: ['src/sandbox.ts', 'src/sandbox-*.ts', 'src/*/simulator-process.ts', 'test/**', 'connectors/**/simulator*.ts', 'connectors/simulator-support.ts', 'connectors/*/simulator/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)simulator(-support)?(\\.ts)?$', message: 'simulators are test doubles: import them only from src/sandbox.ts or test/' },
            { regex: '(^|/)connectors/graph/tls(\\.ts)?$', message: 'the simulator CA is sandbox-only: import it only from src/sandbox.ts or test/' },
          ],
        },
      ],
    },
  },
);
