import { defineConfig } from "vite";

// No @vitejs/plugin-react: the build only needs JSX compiled (Vite's own transform does it), and hot
// reload of components is not worth a dependency here (ADR 0090).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true }, "/auth": "http://127.0.0.1:8080" },
  },
});
