import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `pnpm dev` serves the pages with hot reload and sends API and socket traffic to a
// running gateway, so the browser still sees one origin.
const gateway = process.env.FW_GATEWAY_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: {
      '/api': gateway,
      '/ready': gateway,
      '/ws': { target: gateway, ws: true },
    },
  },
});
