import { describe, expect, it } from "vitest";
import { renderTemplate, templateProblems } from "../../layers/core/events/template.js";

describe("notification templates", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "refuses {{%s}}, an inherited name, at save time",
    (name) => {
      // Act
      const problems = templateProblems(`Hello {{${name}}}`);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`{{${name}}}`);
    },
  );

  it("never renders an inherited name, even from a template stored before the allowlist", () => {
    // Act
    const text = renderTemplate("a{{constructor}}b{{__proto__}}c{{toString}}d{{event_name}}", {
      event_name: "Web User Blocked Out",
    });

    // Assess
    expect(text).toBe("abcdWeb User Blocked Out");
  });

  it("accepts every allowlisted variable", () => {
    expect(templateProblems("{{event_name}} {{ pbx_name }} {{source_ip}}")).toEqual([]);
  });
});
