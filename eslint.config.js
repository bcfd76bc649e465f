import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    rules: {
      // Reading process.env anywhere but main.ts hides configuration from the validator.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only service/main.ts reads process.env.' },
      ],
    },
  },
  {
    // Tools, the bench and tests configure the processes they start; only the service goes through loadConfig.
    files: ['service/main.ts', 'test/**/*.ts', 'tools/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The helm test pod's script runs as plain Node in the service image and reads its target from the pod env.
    files: ['charts/*/files/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly' } },
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // A test that asserts on a value it has just checked exists may say so with `!`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
