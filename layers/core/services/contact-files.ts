import { randomBytes } from "node:crypto";
import type * as z from "zod";
import { csvChunks } from "../contacts/formats/csv.js";
import { vcardChunks } from "../contacts/formats/vcard.js";

import type { Deps } from "../deps.js";
import { getPhonebookCredential, putPhonebookCredential } from "../entities/phonebook-credential.js";
import { UnauthorizedError } from "../errors.js";
import { RawBody } from "../http/responses.js";
import type { exportQuery, PHONEBOOK_FILES } from "../schemas/contact-files.js";
import type { Contact } from "../schemas/contacts.js";
import { hashToken, matchesTokenHash } from "../util/token-hash.js";
import { searchCompanyContacts } from "./contacts.js";
import { cachedPhonebook, refreshPhonebooks } from "./phonebook-store.js";
import { findTenantBySlug } from "./tenants.js";

/**
 * Company contacts out of the PBX: exports for administrators, and the remote phonebooks and
 * vCard feed that IP phones and address books fetch with their own credential.
 */

// ---------------------------------------------------------------------------------------------
// Export: a page of the directory in name order as CSV or vCard, with a cursor to the next page.
// Paged because a Lambda answer is limited to 6 MB, so memory stays flat however large the directory.

export async function exportContacts(deps: Deps, tenantId: string, query: z.output<typeof exportQuery>) {
  const contacts: Contact[] = [];
  let cursor = query.cursor;
  while (contacts.length < query.limit) {
    // The whole page in one round where the Query's 1 MB allows (about 7,000 index entries): one
    // Query, then its BatchGetItems eight side by side (loadCompanyContacts).
    const page = await searchCompanyContacts(deps, tenantId, { limit: query.limit - contacts.length, cursor });
    contacts.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const first = !query.cursor;
  const body =
    query.format === "csv"
      ? [...csvChunks(contacts, { bom: first })].join("").replace(first ? "" : /^[^\n]*\n/, "")
      : [...vcardChunks(contacts, query.format === "vcard3" ? "3.0" : "4.0")].join("");
  const extension = query.format === "csv" ? "csv" : "vcf";
  return new RawBody(body, query.format === "csv" ? "text/csv; charset=utf-8" : "text/vcard; charset=utf-8", {
    "content-disposition": `attachment; filename="company-contacts.${extension}"`,
    ...(cursor ? { "x-next-cursor": cursor } : {}),
    "x-contact-count": String(contacts.length),
  });
}

// ---------------------------------------------------------------------------------------------
// Phonebooks for IP phones, which cannot log in: a per-tenant token, given once, stored hashed.

export { PHONEBOOK_MAX_CONTACTS } from "./phonebook-store.js";

export async function phonebookInfo(deps: Deps, tenantId: string, slug: string) {
  const settings = await getPhonebookCredential(deps, tenantId);
  return { configured: Boolean(settings), urls: phonebookUrls(deps, slug, "<token>") };
}

export async function rotatePhonebookToken(deps: Deps, tenantId: string, slug: string) {
  const token = randomBytes(24).toString("base64url");
  await putPhonebookCredential(deps, tenantId, hashToken(token, "base64"), deps.now().toISOString());
  // Built now, so the first phone is served a stored book, not a build.
  await refreshPhonebooks(deps, tenantId);
  return { configured: true, token, urls: phonebookUrls(deps, slug, token) };
}

function phonebookUrls(deps: Deps, slug: string, token: string): Record<string, string> {
  const base = `${deps.config.publicWebUrl}/api/v1/phonebook/${slug}`;
  const files: (typeof PHONEBOOK_FILES)[number][] = [
    "yealink.xml",
    "yealink-menu.xml",
    "cisco.xml",
    "fanvil.xml",
    "snom.xml",
    "grandstream.xml",
    "contacts.vcf",
  ];
  return Object.fromEntries(files.map((file) => [file, `${base}/${file}?token=${encodeURIComponent(token)}`]));
}

export async function servePhonebook(
  deps: Deps,
  server: string,
  file: (typeof PHONEBOOK_FILES)[number],
  token: string | undefined,
  headers: Record<string, string | undefined>,
) {
  const tenant = await findTenantBySlug(deps, server.toLowerCase());
  const given = token ?? basicPassword(headers.authorization);
  const settings = tenant ? await getPhonebookCredential(deps, tenant.id) : undefined;
  const expected = settings?.tokenHash;
  const ok = matchesTokenHash(expected, given, "base64");
  if (tenant?.status !== "active" || !ok) throw new UnauthorizedError("A valid phonebook token is required");

  // Built when the directory changes (phonebook-store.ts); the ETag follows the build's feed sequence.
  const book = await cachedPhonebook(deps, tenant.id, file);
  const contentType = file.endsWith(".vcf") ? "text/vcard; charset=utf-8" : "application/xml; charset=utf-8";
  if (headers["if-none-match"] === book.etag) return new RawBody("", contentType, { etag: book.etag }, 304);
  return new RawBody(book.body, contentType, { etag: book.etag, "cache-control": "private, max-age=60" });
}

function basicPassword(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}
