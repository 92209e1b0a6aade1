import { describe, expect, it } from "vitest";
import { type FieldError, ValidationError } from "../../layers/core/errors.js";
import { parsePart } from "../../layers/core/http/validate.js";
import { PASSWORD_RULE } from "../../layers/core/schemas/common.js";
import { createExtensionBody, listExtensionsQuery, updateExtensionBody } from "../../layers/core/schemas/extensions.js";
import { createTenantBody, slug } from "../../layers/core/schemas/tenants.js";

const ORG_ID = "01J00000000000000000000000";
const VALID_EXTENSION = { firstName: "Ada", number: "1001" };
const VALID_TENANT = { name: "Acme", slug: "acme", adminEmail: "admin@acme.example.com" };

/** The field errors parsePart throws, or a failure when it does not throw a ValidationError. */
function fieldErrors(run: () => unknown): FieldError[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).fields;
  }
  throw new Error("expected a ValidationError, but the input was accepted");
}

const extensionErrors = (body: Record<string, unknown>) =>
  fieldErrors(() => parsePart(createExtensionBody, { ...VALID_EXTENSION, ...body }, "body"));
const tenantErrors = (body: Record<string, unknown>) =>
  fieldErrors(() => parsePart(createTenantBody, { ...VALID_TENANT, ...body }, "body"));

describe("parsePart", () => {
  it("returns the parsed value with the schema's defaults applied", () => {
    // Act
    const body = parsePart(createExtensionBody, VALID_EXTENSION, "body");

    // Assert
    expect(body).toEqual({
      firstName: "Ada",
      lastName: "",
      email: "",
      mobileNumber: "",
      role: "none",
      organizations: [],
      jobTitle: "",
      number: "1001",
      callerId: "",
      concurrentRegistrations: 1,
      sendWelcomeEmail: false,
    });
  });

  it("names every missing required field with 'is required'", () => {
    // Act
    const errors = fieldErrors(() => parsePart(createExtensionBody, {}, "body"));

    // Assert
    expect(errors).toEqual(
      expect.arrayContaining([
        { in: "body", field: "firstName", message: "is required" },
        { in: "body", field: "number", message: "is required" },
      ]),
    );
    expect(errors).toHaveLength(2);
  });

  it("reports a missing or wrongly typed part as the part itself", () => {
    // Act
    const missing = fieldErrors(() => parsePart(createExtensionBody, undefined, "body"));
    const notAnObject = fieldErrors(() => parsePart(createExtensionBody, "firstName=Ada", "body"));

    // Assert
    expect(missing).toEqual([{ in: "body", field: "body", message: "is required" }]);
    expect(notAnObject).toEqual([{ in: "body", field: "body", message: "must be an object" }]);
  });

  it("names each unknown key with 'is not a known field'", () => {
    // Act
    const errors = extensionErrors({ isAdmin: true, tenantId: "x" });

    // Assert
    expect(errors).toEqual(
      expect.arrayContaining([
        { in: "body", field: "isAdmin", message: "is not a known field" },
        { in: "body", field: "tenantId", message: "is not a known field" },
      ]),
    );
    expect(errors).toHaveLength(2);
  });

  it("names a bad array element by its index, e.g. organizations.1", () => {
    // Act
    const errors = extensionErrors({ organizations: [ORG_ID, "not-an-id"] });

    // Assert
    expect(errors).toEqual([{ in: "body", field: "organizations.1", message: "must be a valid id" }]);
  });

  it("names the array itself for a rule about the whole array", () => {
    // Act
    const errors = extensionErrors({ organizations: [ORG_ID, ORG_ID] });

    // Assert
    expect(errors).toEqual([{ in: "body", field: "organizations", message: "must not repeat an organization" }]);
  });

  it("says which values a role accepts: a system role or a custom role's id", () => {
    // Act
    const errors = extensionErrors({ role: "root" });

    // Assert
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe("role");
    expect(errors[0]?.message).toMatch(/^must be a system role \(super_admin, admin, .*\) or a custom role's id$/);
  });

  it("reports the location it was given, e.g. a query parameter", () => {
    // Act
    const errors = fieldErrors(() => parsePart(listExtensionsQuery, { page: "0", pageSize: "500" }, "query"));

    // Assert
    expect(errors).toEqual(
      expect.arrayContaining([
        { in: "query", field: "page", message: "must be at least 1" },
        { in: "query", field: "pageSize", message: "must be at most 100" },
      ]),
    );
  });

  it("calls a fractional number where a whole one belongs 'a whole number', in the body and the query", () => {
    // Act
    const body = extensionErrors({ concurrentRegistrations: 2.5 });
    const query = fieldErrors(() => parsePart(listExtensionsQuery, { page: "1.5" }, "query"));

    // Assert
    expect(body).toEqual([{ in: "body", field: "concurrentRegistrations", message: "must be a whole number" }]);
    expect(query).toEqual([{ in: "query", field: "page", message: "must be a whole number" }]);
  });

  it("refuses an update that changes nothing", () => {
    // Act
    const errors = fieldErrors(() => parsePart(updateExtensionBody, { version: 3 }, "body"));

    // Assert
    expect(errors).toEqual([{ in: "body", field: "body", message: "must change at least one field" }]);
  });
});

describe("user password policy", () => {
  it.each([
    ["too short", "Short7pw"],
    ["too long", `Aa1${"x".repeat(126)}`],
    ["without a digit", "NoDigitsHere"],
    ["without an upper-case letter", "nouppercase7"],
    ["without a lower-case letter", "NOLOWERCASE7"],
    ["empty", ""],
  ])("refuses a password %s and names userPassword", (_case, userPassword) => {
    // Act
    const errors = extensionErrors({ userPassword });

    // Assert
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toEqual({ in: "body", field: "userPassword", message: PASSWORD_RULE });
  });

  it("accepts 10 characters with a digit, an upper-case and a lower-case letter", () => {
    // Act
    const body = parsePart(createExtensionBody, { ...VALID_EXTENSION, userPassword: "Abcdefgh1j" }, "body");

    // Assert
    expect(body.userPassword).toBe("Abcdefgh1j");
  });

  it("applies to the tenant administrator's password too", () => {
    // Act
    const errors = tenantErrors({ adminPassword: "password" });

    // Assert
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toEqual({ in: "body", field: "adminPassword", message: PASSWORD_RULE });
  });
});

describe("tenant slug", () => {
  it("lower-cases and trims what it is given", () => {
    // Act
    const body = parsePart(createTenantBody, { ...VALID_TENANT, slug: "  Acme-Corp " }, "body");

    // Assert
    expect(body.slug).toBe("acme-corp");
  });

  it.each(["api", "www", "admin", "platform", "static", "mail", "sip", "linkus", "localhost", "ADMIN"])(
    "refuses the reserved word %s",
    (value) => {
      // Act
      const errors = tenantErrors({ slug: value });

      // Assert
      expect(errors).toEqual([{ in: "body", field: "slug", message: "is reserved" }]);
    },
  );

  it.each([
    ["a hyphen at the start", "-acme"],
    ["a hyphen at the end", "acme-"],
    ["two characters", "ab"],
    ["33 characters", "a".repeat(33)],
    ["an underscore", "acme_corp"],
    ["a dot", "acme.corp"],
    ["a non-ASCII letter", "acmé"],
    ["empty", ""],
  ])("refuses a slug with %s", (_case, value) => {
    // Act
    const errors = tenantErrors({ slug: value });

    // Assert
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe("slug");
    expect(errors[0]?.message).toMatch(/^must be 3 to 32 lower-case letters, digits or hyphens/);
  });

  it.each(["abc", "a".repeat(32), "a-b", "123", "acme-corp-2"])("accepts %s", (value) => {
    // Act
    const parsed = slug.safeParse(value);

    // Assert
    expect(parsed).toEqual({ success: true, data: value });
  });
});

describe("email", () => {
  it("is trimmed and lower-cased", () => {
    // Act
    const tenant = parsePart(createTenantBody, { ...VALID_TENANT, adminEmail: " Admin@Acme.EXAMPLE.com " }, "body");
    const extension = parsePart(createExtensionBody, { ...VALID_EXTENSION, email: "Ada.Lovelace@Example.COM" }, "body");

    // Assert
    expect(tenant.adminEmail).toBe("admin@acme.example.com");
    expect(extension.email).toBe("ada.lovelace@example.com");
  });

  it("refuses what is not an address, by name", () => {
    // Act
    const tenant = tenantErrors({ adminEmail: "admin-at-acme" });
    const extension = extensionErrors({ email: "ada@" });

    // Assert
    expect(tenant).toEqual([{ in: "body", field: "adminEmail", message: "must be a valid email address" }]);
    expect(extension.map((e) => e.field)).toEqual(expect.arrayContaining(["email"]));
    expect(extension.every((e) => e.field === "email")).toBe(true);
  });
});

describe("phone numbers", () => {
  it.each(["+1 (555) 123-4567", "0049.30.1234567", "", "1".repeat(31)])("accepts %j", (mobileNumber) => {
    // Act
    const body = parsePart(createExtensionBody, { ...VALID_EXTENSION, mobileNumber, callerId: mobileNumber }, "body");

    // Assert
    expect(body.mobileNumber).toBe(mobileNumber);
    expect(body.callerId).toBe(mobileNumber);
  });

  it.each(["555-CALL-NOW", "#123", "123*4", "1;2", "+1\u00a0555"])("refuses the characters in %j", (mobileNumber) => {
    // Act
    const errors = extensionErrors({ mobileNumber });

    // Assert
    expect(errors).toEqual([
      { in: "body", field: "mobileNumber", message: "may contain only digits, spaces and ( ) . - +" },
    ]);
  });

  it("refuses 32 characters", () => {
    // Act
    const errors = extensionErrors({ callerId: "1".repeat(32) });

    // Assert
    expect(errors).toEqual([{ in: "body", field: "callerId", message: "must be at most 31 characters" }]);
  });
});

describe("concurrent registrations", () => {
  it.each([1, 2, 3])("accepts %j", (concurrentRegistrations) => {
    // Act
    const body = parsePart(createExtensionBody, { ...VALID_EXTENSION, concurrentRegistrations }, "body");

    // Assert
    expect(body.concurrentRegistrations).toBe(concurrentRegistrations);
  });

  it.each([
    [0, "must be 1, 2 or 3"],
    [4, "must be 1, 2 or 3"],
    [-1, "must be 1, 2 or 3"],
    [1.5, "must be a whole number"],
    ["2", "must be a number"],
    [null, "must be a number"],
  ])("refuses %j: %s", (concurrentRegistrations, message) => {
    // Act
    const errors = extensionErrors({ concurrentRegistrations });

    // Assert
    expect(errors).toEqual([{ in: "body", field: "concurrentRegistrations", message }]);
  });
});

describe("SIP registration password", () => {
  it.each([
    ["a space", "Good Passw0rd"],
    ["a double quote", 'Good"Passw0rd'],
    ["a backslash", "Good\\Passw0rd"],
    ["a tab", "Good\tPassw0rd"],
    ["a non-ASCII letter", "GoodPässw0rd"],
  ])("refuses %s, which would break a quoted digest header", (_case, registrationPassword) => {
    // Act
    const errors = extensionErrors({ registrationPassword });

    // Assert
    expect(errors).toEqual([
      {
        in: "body",
        field: "registrationPassword",
        message: "may contain printable characters except space, quote and backslash",
      },
    ]);
  });

  it("must meet the user-password policy too", () => {
    // Act
    const errors = extensionErrors({ registrationPassword: "short" });

    // Assert
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.field).toBe("registrationPassword");
    expect(errors.map((e) => e.message)).toContain(PASSWORD_RULE);
  });

  it("accepts every other printable ASCII character", () => {
    // Arrange
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
      .filter((c) => c !== '"' && c !== "\\")
      .join("");

    // Act
    const body = parsePart(createExtensionBody, { ...VALID_EXTENSION, registrationPassword: printable }, "body");

    // Assert
    expect(body.registrationPassword).toBe(printable);
  });
});
