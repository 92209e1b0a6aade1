/**
 * zod probes for eval (`new Function`) to compile its object parsers when a schema is built; the
 * CSP forbids eval, so every probe logged a violation in the console. The interpreted parsers
 * apply the same rules. Imported first by main.tsx, so it runs before any schema module.
 */
import { config } from "zod";

config({ jitless: true });
