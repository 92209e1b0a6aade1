import { TEMPLATE_VARIABLES, type TemplateVariable } from "./catalog.js";

const PLACEHOLDER = /\{\{\s*([a-zA-Z_]+)\s*\}\}/g;

/** Problems with a template, in words an administrator can act on; empty when it is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(name && name in TEMPLATE_VARIABLES)) {
      problems.push(
        `uses {{${name}}}, which is not a variable; use one of ${Object.keys(TEMPLATE_VARIABLES).join(", ")}`,
      );
    }
  }
  const leftover = template.replace(PLACEHOLDER, "");
  if (leftover.includes("{{") || leftover.includes("}}"))
    problems.push("has an unclosed or malformed {{ }} placeholder");
  return problems;
}

export function renderTemplate(template: string, values: Partial<Record<TemplateVariable, string>>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => values[name as TemplateVariable] ?? "");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
