import { describe, expect, it } from "vitest";
import { MENUS } from "../../layers/core/linkus.js";
import { decide } from "../../layers/core/services/linkus-permissions.js";

const EXT = "01J00000000000000000000EXT";
const SALES = "01J0000000000000000000SALE";
const EMEA = "01J0000000000000000000EMEA";

type Rule = Parameters<typeof decide>[1][number];
const rule = (effect: "allow" | "disallow", items: string[], members: Partial<Rule["members"]>): Rule => ({
  effect,
  items,
  members: { everyone: false, extensions: [], organizations: [], ...members },
});

/** docs/permissions.md, "Linkus client permissions": the precedence rules, one by one. */
describe("Linkus rule precedence", () => {
  const inSales = new Set([SALES]);

  it("allows everything when no rule matches", () => {
    expect(Object.values(decide(MENUS, [], EXT, inSales)).every(Boolean)).toBe(true);
    const other = rule("disallow", ["chat"], { extensions: ["01J0000000000000000000OTHR"] });
    expect(decide(MENUS, [other], EXT, inSales).chat).toBe(true);
  });

  it("applies a rule for everyone", () => {
    expect(decide(MENUS, [rule("disallow", ["chat"], { everyone: true })], EXT, inSales)).toMatchObject({
      chat: false,
      recordings: true,
    });
  });

  it("lets an organization rule beat an everyone rule, in both directions", () => {
    const hideForAll = rule("disallow", ["recordings"], { everyone: true });
    const showForSales = rule("allow", ["recordings"], { organizations: [SALES] });
    expect(decide(MENUS, [hideForAll, showForSales], EXT, inSales).recordings).toBe(true);
    const showForAll = rule("allow", ["recordings"], { everyone: true });
    const hideForSales = rule("disallow", ["recordings"], { organizations: [SALES] });
    expect(decide(MENUS, [showForAll, hideForSales], EXT, inSales).recordings).toBe(false);
  });

  it("lets an extension rule beat an organization rule", () => {
    const hideForSales = rule("disallow", ["voicemails"], { organizations: [SALES] });
    const showForMe = rule("allow", ["voicemails"], { extensions: [EXT] });
    expect(decide(MENUS, [hideForSales, showForMe], EXT, inSales).voicemails).toBe(true);
  });

  it("lets disallow beat allow at equal specificity, whatever the order", () => {
    const allow = rule("allow", ["chat"], { extensions: [EXT] });
    const disallow = rule("disallow", ["chat"], { extensions: [EXT] });
    expect(decide(MENUS, [allow, disallow], EXT, inSales).chat).toBe(false);
    expect(decide(MENUS, [disallow, allow], EXT, inSales).chat).toBe(false);
  });

  it("matches an organization through its parents (the caller passes the ancestors in)", () => {
    const hideForEmea = rule("disallow", ["dial_pad"], { organizations: [EMEA] });
    expect(decide(MENUS, [hideForEmea], EXT, new Set([SALES, EMEA])).dial_pad).toBe(false);
    expect(decide(MENUS, [hideForEmea], EXT, inSales).dial_pad).toBe(true);
  });

  it("decides each item on its own", () => {
    const rules = [
      rule("disallow", ["chat", "recordings"], { everyone: true }),
      rule("allow", ["chat"], { extensions: [EXT] }),
    ];
    expect(decide(MENUS, rules, EXT, inSales)).toMatchObject({ chat: true, recordings: false, contacts: true });
  });
});
