import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The Web Client and admin portal (index.html) and the API reference (api/docs/index.html).
 * `npm start` serves dist/ on the API's origin; `npm run dev:web` proxies /api to it.
 */
export default defineConfig({
  root: here("."),
  plugins: [react()],
  resolve: {
    // The route table's schemas are shared with the API; one of them validates IPs with node:net.
    alias: { "node:net": here("src/shims/node-net.ts") },
  },
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    sourcemap: true,
    // Swagger UI is one large bundle on its own page; the app itself stays far below this.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { app: here("index.html"), docs: here("api/docs/index.html") },
    },
  },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    proxy: { "/api/v1": process.env.PBX_API_URL ?? "http://127.0.0.1:8080" },
  },
});
