import { TEMPLATE_VARIABLES, type TemplateVariable } from "./catalog.js";

const PLACEHOLDER = /\{\{\s*([a-zA-Z_]+)\s*\}\}/g;

/**
 * The explicit allowlist of placeholders. A Set, not `name in TEMPLATE_VARIABLES`: `in` also
 * finds inherited names (`constructor`, `__proto__`, `toString`), which rendered
 * `function Object() { [native code] }` into emails.
 */
const ALLOWED: ReadonlySet<string> = new Set(Object.keys(TEMPLATE_VARIABLES));

const isVariable = (name: string): name is TemplateVariable => ALLOWED.has(name);

/** Problems with a template, in words an administrator can act on; empty when it is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const [, name = ""] of template.matchAll(PLACEHOLDER)) {
    if (!isVariable(name)) {
      problems.push(`uses {{${name}}}, which is not a variable; use one of ${[...ALLOWED].join(", ")}`);
    }
  }
  const leftover = template.replace(PLACEHOLDER, "");
  if (leftover.includes("{{") || leftover.includes("}}"))
    problems.push("has an unclosed or malformed {{ }} placeholder");
  return problems;
}

/** Fills allowlisted placeholders from own properties only; anything else renders as nothing. */
export function renderTemplate(template: string, values: Partial<Record<TemplateVariable, string>>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) =>
    isVariable(name) && Object.hasOwn(values, name) ? (values[name] ?? "") : "",
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
