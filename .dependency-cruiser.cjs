// Import rules for src/ (`npm run lint:deps`, run in CI after the typecheck). Dependencies point
// one way: chat front ends → dispatcher → use cases (app) → core. Type-only imports count: a
// layer that names another's types depends on it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment:
        'src/core is the pure domain: it imports nothing else from src (no db, app, chat, i18n, config). ' +
        'What it needs from outside is a port declared in core (e.g. core/localizer.ts, implemented by i18n.ts).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'app-below-front-ends',
      comment:
        'Use cases (src/app) are called by the front ends and server parts, never the other way round: ' +
        'they do not import chat, publishing, the status page, the manager part, upstream, the HTTP server or the composition root.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(chat|publish|status-page|manager|upstream)/|^src/(http|main)\\.ts$' },
    },
    {
      name: 'src-not-tests',
      comment: 'Product code never imports test helpers or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'botbuilder-only-in-teams',
      comment:
        'botbuilder and the botframework-* packages are the Teams front end\'s business: only src/chat/teams/ imports them ' +
        '(type-only imports included), so the rest of tsuiki never depends on the Bot Framework SDK.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/chat/teams/' },
      to: { path: '(^|/)node_modules/(botbuilder|botframework-[^/]+)/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles in src, type-only ones included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (see the header).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
