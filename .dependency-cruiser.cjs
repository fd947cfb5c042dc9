/** The layer rules of docs/architecture.md. An arrow means "may import". */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'surfaces-and-cli-only-through-core',
      severity: 'error',
      from: { path: '^src/(surfaces|cli)/' },
      to: { path: '^src/(store|connectors)/', pathNot: '^src/connectors/connector\\.ts$' },
    },
    {
      name: 'surfaces-know-no-http',
      comment: 'A surface is a Fastify plugin handed the core; the server that mounts it is not its business.',
      severity: 'error',
      from: { path: '^src/surfaces/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'surfaces-stay-apart',
      comment:
        'A surface folder imports only itself and surfaces/shared: what two surfaces both need goes to surfaces/shared.',
      severity: 'error',
      from: { path: '^src/surfaces/([^/]+)/' },
      to: { path: '^src/surfaces/', pathNot: ['^src/surfaces/$1/', '^src/surfaces/shared/'] },
    },
    {
      name: 'core-knows-no-http',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(http|surfaces|cli)/' },
    },
    {
      name: 'core-knows-no-fastify',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: 'node_modules/fastify' },
    },
    {
      name: 'connectors-stay-small',
      severity: 'error',
      from: { path: '^src/connectors/' },
      to: { path: '^src/(store|http|surfaces|cli)/' },
    },
    {
      name: 'connectors-import-nothing-from-core',
      severity: 'error',
      from: { path: '^src/connectors/' },
      to: { path: '^src/core/' },
    },
    {
      name: 'store-and-kv-below-core',
      severity: 'error',
      from: { path: '^src/(store|kv)/' },
      to: { path: '^src/(core|http|surfaces|cli|connectors)/' },
    },
    {
      name: 'flows-know-strategies-only-by-interface',
      comment: 'A flow asks, a strategy answers: flows/ knows strategies only through flows/strategy.ts.',
      severity: 'error',
      from: { path: '^src/core/flows/' },
      to: { path: '^src/core/(strategies|login)/' },
    },
    {
      name: 'strategies-below-the-login-wiring',
      severity: 'error',
      from: { path: '^src/core/strategies/' },
      to: { path: '^src/core/login/' },
    },
    { name: 'lib-is-a-leaf', severity: 'error', from: { path: '^src/lib/' }, to: { path: '^src/(?!lib/)' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
