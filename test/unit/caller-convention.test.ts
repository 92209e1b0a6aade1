import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * How services take the caller (docs/architecture.md, D-entities-2): `tenantId`, unless the rule
 * depends on who acts; then the `TenantCaller`, and never both. A service that takes the caller
 * but reads nothing of it beyond `caller.tenantId` breaks the rule.
 */
describe("services take the caller one way", () => {
  const dir = join(import.meta.dirname, "../../layers/core/services");
  const functions = readdirSync(dir)
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) => {
      const source = ts.createSourceFile(file, readFileSync(join(dir, file), "utf8"), ts.ScriptTarget.Latest, true);
      return source.statements.filter(ts.isFunctionDeclaration).map((fn) => ({ file, fn }));
    });
  const takesCaller = (fn: ts.FunctionDeclaration) =>
    fn.parameters.find((p) => p.type?.getText() === "TenantCaller" && ts.isIdentifier(p.name));

  it("finds the services that take the caller (the check below is not vacuous)", () => {
    // Assess
    expect(functions.filter(({ fn }) => takesCaller(fn)).length).toBeGreaterThan(20);
  });

  it("has every caller-taking service use more of the caller than its tenant, and none take a tenantId too", () => {
    // Arrange
    const offenders: string[] = [];

    // Act
    for (const { file, fn } of functions) {
      const parameter = takesCaller(fn);
      if (!parameter || !fn.body) continue;
      const name = parameter.name.getText();
      if (fn.parameters.some((p) => p.name.getText() === "tenantId")) offenders.push(`${file} ${fn.name?.text}: both`);
      let usesMore = false;
      const visit = (node: ts.Node) => {
        if (ts.isIdentifier(node) && node.text === name && node !== parameter.name) {
          const parent = node.parent;
          const onlyTenant = ts.isPropertyAccessExpression(parent) && parent.name.text === "tenantId";
          if (!onlyTenant) usesMore = true;
        }
        ts.forEachChild(node, visit);
      };
      visit(fn.body);
      if (!usesMore) offenders.push(`${file} ${fn.name?.text}: uses only caller.tenantId`);
    }

    // Assess
    expect(offenders).toEqual([]);
  });
});
