/**
 * The listed fields of a stored item and nothing else. What a service returns is an allowlist,
 * so a field later added to an item (a hash, a sealed secret, a lease) never reaches a response
 * by default; typing the result as the response type makes a missing field a compile error.
 */
export function pickFields<T extends object, K extends keyof T>(item: T, fields: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const field of fields) picked[field] = item[field];
  return picked;
}
