import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTypescript,
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      "lib/db/generated/**",
      ".test-output/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-definitions": ["error", "type"],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Pages, actions and route handlers go through domain functions in lib/; only lib/ talks to the database.
    files: ["app/**/*.{ts,tsx}", "workers/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/lib/db", "@/lib/db/*", "**/lib/db", "**/lib/db/*"],
              message: "Call a domain function in lib/<concern> instead of Prisma.",
            },
          ],
        },
      ],
    },
  },
  {
    // Node tests (ADR 0030): a rejection or throw is pinned to the error it is about, and nothing
    // committed narrows or skips the suite. Playwright specs use test.skip for conditions of the run.
    files: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "CallExpression[callee.object.name='assert'][callee.property.name=/^(rejects|throws)$/][arguments.length<2]",
          message: "Pass a matcher naming the error (an AppError code, a class or a validation function).",
        },
        {
          selector:
            ":matches(CallExpression[callee.object.name='assert'][callee.property.name=/^(rejects|throws)$/][arguments.1.type='TemplateLiteral'], CallExpression[callee.object.name='assert'][callee.property.name=/^(rejects|throws)$/][arguments.1.value=type(string)])",
          message: "A string here is the failure message, not a matcher: pass a RegExp, class or function.",
        },
        {
          selector:
            "CallExpression[callee.object.name=/^(it|describe|test|suite)$/][callee.property.name=/^(only|skip|todo)$/]",
          message: "No .only/.skip/.todo in committed tests.",
        },
        {
          selector:
            "CallExpression[callee.name=/^(it|describe|test|suite)$/] > ObjectExpression > Property[key.name=/^(only|skip|todo)$/]",
          message: "No only/skip/todo options in committed tests.",
        },
      ],
    },
  },
  {
    // Module augmentation of next-auth's types needs `interface`.
    files: ["lib/auth/next-auth-options.ts"],
    rules: { "@typescript-eslint/consistent-type-definitions": "off" },
  },
];

export default config;
