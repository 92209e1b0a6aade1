import { useQuery } from "@tanstack/react-query";
import { call } from "../../api/client";

export interface Members {
  everyone: boolean;
  extensions: string[];
  organizations: string[];
}

/** Who a rule applies to: everyone, or chosen extensions and organizations. */
export function MembersField({
  value,
  onChange,
  error,
}: {
  value: Members;
  onChange: (m: Members) => void;
  error?: string;
}) {
  const extensions = useQuery({
    queryKey: ["extensions", "all-for-members"],
    queryFn: () => call("extensions.list", { query: { pageSize: 100, sortBy: "number" } }),
  });
  const organizations = useQuery({
    queryKey: ["organizations"],
    queryFn: () => call("organizations.list"),
    retry: false,
  });
  const toggle = (list: "extensions" | "organizations", id: string, on: boolean) =>
    onChange({ ...value, [list]: on ? [...value[list], id] : value[list].filter((x) => x !== id) });
  return (
    <fieldset className="field members">
      <legend>Members</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={value.everyone}
          onChange={(e) => onChange({ ...value, everyone: e.target.checked })}
        />
        Everyone
      </label>
      {!value.everyone && (
        <div className="pick-list">
          {extensions.data?.items.map((extension) => (
            <label key={extension.id} className="check">
              <input
                type="checkbox"
                checked={value.extensions.includes(extension.id)}
                onChange={(e) => toggle("extensions", extension.id, e.target.checked)}
              />
              {extension.number} {`${extension.firstName} ${extension.lastName}`.trim()}
            </label>
          ))}
          {organizations.data?.items.map((organization) => (
            <label key={organization.id} className="check">
              <input
                type="checkbox"
                checked={value.organizations.includes(organization.id)}
                onChange={(e) => toggle("organizations", organization.id, e.target.checked)}
              />
              Organization: {organization.name}
            </label>
          ))}
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          Members: {error}
        </p>
      )}
    </fieldset>
  );
}
