/**
 * The browser's stand-in for node:net, which the shared login-security schema uses to check
 * IP addresses. Same answers as Node's isIP: 4, 6, or 0 for neither.
 */
const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIP(input: string): 0 | 4 | 6 {
  if (V4.test(input)) return 4;
  return isIPv6(input) ? 6 : 0;
}

function isIPv6(input: string): boolean {
  const [address = "", zone, extra] = input.split("%");
  if (extra !== undefined || zone === "") return false;
  let groups = address.split(":");
  const last = groups[groups.length - 1] ?? "";
  let words = 0;
  if (last.includes(".")) {
    if (!V4.test(last)) return false;
    groups = groups.slice(0, -1);
    words = 2;
  }
  const gap = address.indexOf("::");
  if (gap !== address.lastIndexOf("::")) return false;
  const parts = groups.filter((group, i) => !(group === "" && (gap >= 0 || i === 0 || i === groups.length - 1)));
  if (!parts.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return false;
  words += parts.length;
  return gap >= 0 ? words < 8 : words === 8 && !address.startsWith(":") && !address.endsWith(":");
}
