// The TypeScript linter: eslint's and typescript-eslint's recommended rules; prettier owns the layout.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config({ ignores: ["node_modules/", "bin/", "bench/out/", ".tools/"] }, js.configs.recommended, ...tseslint.configs.recommended, {
    rules: {
        // Mocks, the Kubernetes objects read back in tests and JSON records are untyped by nature.
        "@typescript-eslint/no-explicit-any": "off",
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
});
