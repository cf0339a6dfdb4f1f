import { defineConfig } from "vite";

// Served by gleaner at /ui; built beside the binary (build/ui), where `gleaner up` looks for it.
export default defineConfig({
  base: "/ui/",
  build: {
    outDir: "../build/ui",
    emptyOutDir: true,
    sourcemap: true,
  },
});
