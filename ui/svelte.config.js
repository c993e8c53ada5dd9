import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    // The gateway imports build/handler.js and hands it every non-API request; the prefix
    // keeps the gateway's own environment (PORT, HOST, ...) from steering the handler.
    adapter: adapter({ out: 'build', envPrefix: 'FW_UI_', precompress: true }),
  },
};
