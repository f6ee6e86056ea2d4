import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The lab's JavaScript: the doubles, which node runs as commands on the lab hosts (extensionless scripts in apt/,
 * yum/, bin/ and packages/ that load lib/), and the load balancer's script. `[!.]*` rather than `*`: ESLint lints
 * a pattern ending in `/*` only for files another pattern already picks, which an extensionless script is not.
 * Node.js's CommonJS globals, the ones they use; names are checked again by `tsc -p tsconfig.lab.json`.
 */
const LAB_SCRIPTS = [
  "lab/**/*.js",
  "lab/doubles/init-host",
  "lab/doubles/{apt,yum,bin}/[!.]*",
  "lab/doubles/yum/sbin/[!.]*",
  "lab/doubles/packages/*/usr/{bin,sbin}/[!.]*",
];
const NODE_GLOBALS = Object.fromEntries(
  ["require", "module", "process", "Buffer", "URL", "setTimeout", "clearTimeout", "setInterval"].map((name) => [
    name,
    "readonly",
  ]),
);

export default tseslint.config(
  { ignores: ["node_modules/", "bin/", ".pulumi/", ".lab/"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: LAB_SCRIPTS,
    languageOptions: { sourceType: "commonjs", globals: NODE_GLOBALS },
  },
  // The suite's mocha config in two lanes (CommonJS, as mocha loads it).
  {
    files: [".mocharc.lanes.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...NODE_GLOBALS, __dirname: "readonly" } },
  },
);
