import { defineConfig } from 'vite';

// A static app: index.html + hashed files under assets/. No inline scripts (the dev server and
// CloudFront send a strict Content-Security-Policy), nothing fetched from another origin.
export default defineConfig({
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    // `npm run dev` in web/ (hot reload) proxies the API to a running `make dev`.
    proxy: Object.fromEntries(
      ['/applications', '/analytics', '/follow-ups', '/calendar-feed', '/calendar', '/export',
       '/import', '/health', '/config.json', '/dev'].map((path) => [path, 'http://127.0.0.1:3000']),
    ),
  },
});
