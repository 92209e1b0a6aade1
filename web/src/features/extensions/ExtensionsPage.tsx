import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type CallOutput, call, type QueryOf } from "../../api/client";
import { type PresenceState, useChannel } from "../../api/linkus";
import { useSession } from "../../api/session";
import { Banner, Field, SelectField } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";
import { Link, navigate } from "../../router";
import { RegisteredDevices } from "./RegisteredDevices";

type Query = QueryOf<"extensions.list">;
type Extension = CallOutput<"extensions.list">["items"][number];

const PRESENCE: Record<PresenceState, string> = {
  registered: "Registered",
  unregistered: "Unregistered",
  on_call: "On a call",
};

/** Extension and Trunk > Extension: search, sort, pages, welcome emails, delete. */
export function ExtensionsPage() {
  const session = useSession();
  const canManage = session?.principal.permissions.includes("extensions.manage") ?? false;
  const { presence } = useChannel();
  const [query, setQuery] = useState<Query>({ page: 1, pageSize: 20, sortBy: "number", order: "asc", search: "" });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string }>();
  const [devicesOf, setDevicesOf] = useState<Extension>();
  const list = useQuery({
    queryKey: ["extensions", query],
    queryFn: () => call("extensions.list", { query }),
    placeholderData: keepPreviousData,
  });
  // Role ids are for machines (super_admin, a custom role's ULID): the list shows the role's name.
  const canSeeRoles = session?.principal.permissions.includes("roles.view") ?? false;
  const roles = useQuery({ queryKey: ["roles"], queryFn: () => call("roles.list"), enabled: canSeeRoles });
  const roleName = (id: string) => roles.data?.items.find((role) => role.id === id)?.name ?? id;
  const update = (next: Partial<Query>) => setQuery((q) => ({ ...q, page: 1, ...next }));
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / list.data.pageSize)) : 1;

  const sendWelcome = async (ids: string[]) => {
    setNotice(undefined);
    try {
      const { results } = await call("extensions.welcomeEmails", { body: { extensionIds: ids } });
      const sent = results.filter((r) => r.status === "sent").length;
      const problems = results
        .filter((r) => r.status !== "sent")
        .map((r) => `${numberOf(r.extensionId)}: ${r.reason ?? r.status}`);
      setNotice({
        tone: problems.length ? "error" : "success",
        text: `Welcome email sent to ${sent} of ${results.length}.${problems.length ? ` Not sent: ${problems.join("; ")}` : ""}`,
      });
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };
  const numberOf = (id: string) => list.data?.items.find((e) => e.id === id)?.number ?? id;

  const remove = async (extension: Extension) => {
    if (!window.confirm(`Delete extension ${extension.number} (${extension.firstName} ${extension.lastName})?`)) return;
    try {
      await call("extensions.delete", { params: { extensionId: extension.id } });
      setNotice({ tone: "success", text: `Extension ${extension.number} deleted.` });
      await list.refetch();
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="extensions-title">
      <div className="page-head">
        <h1 id="extensions-title">Extensions</h1>
        {canManage && (
          <div className="actions">
            <button type="button" disabled={selected.size === 0} onClick={() => void sendWelcome([...selected])}>
              Send Welcome Email{selected.size ? ` (${selected.size})` : ""}
            </button>
            <button type="button" className="button-primary" onClick={() => navigate("/admin/extensions/new")}>
              Add
            </button>
          </div>
        )}
      </div>
      {notice && <Banner tone={notice.tone} message={notice.text} />}
      <div className="toolbar">
        <Field
          label="Search"
          name="search"
          type="search"
          placeholder="Number, name or email"
          value={query.search ?? ""}
          onChange={(e) => update({ search: e.target.value })}
        />
        <SelectField
          label="Sort by"
          name="sortBy"
          value={query.sortBy}
          onChange={(e) => update({ sortBy: e.target.value as Query["sortBy"] })}
        >
          <option value="number">Extension number</option>
          <option value="name">Name</option>
          <option value="email">Email</option>
          <option value="createdAt">Created</option>
        </SelectField>
        <SelectField
          label="Order"
          name="order"
          value={query.order}
          onChange={(e) => update({ order: e.target.value as Query["order"] })}
        >
          <option value="asc">Ascending</option>
          <option value="desc">Descending</option>
        </SelectField>
      </div>
      {list.isPending ? (
        <Loading what="extensions" />
      ) : list.isError ? (
        <Failed error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>
          {query.search ? `No extension matches “${query.search}”.` : "No extensions yet. Add the first one."}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Extensions, sorted by {query.sortBy}</caption>
            <thead>
              <tr>
                {canManage && <th scope="col">Select</th>}
                <th scope="col">Extension</th>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                {canManage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((extension) => (
                <tr key={extension.id}>
                  {canManage && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select extension ${extension.number}`}
                        checked={selected.has(extension.id)}
                        onChange={() => toggle(extension.id)}
                      />
                    </td>
                  )}
                  <td>{extension.number}</td>
                  <td>{`${extension.firstName} ${extension.lastName}`.trim()}</td>
                  <td className="wrap-anywhere">{extension.email || "—"}</td>
                  <td>{roleName(extension.role)}</td>
                  <td>
                    <div className="stack">
                      <span className={`presence presence-${presence[extension.id] ?? "unknown"}`}>
                        {PRESENCE[presence[extension.id] ?? "unregistered"]}
                      </span>
                      <button
                        type="button"
                        className="button-quiet"
                        aria-expanded={devicesOf?.id === extension.id}
                        aria-controls="extension-devices"
                        onClick={() => setDevicesOf(devicesOf?.id === extension.id ? undefined : extension)}
                      >
                        Devices<span className="visually-hidden"> of extension {extension.number}</span>
                      </button>
                    </div>
                  </td>
                  {canManage && (
                    <td className="row-actions">
                      <Link to={`/admin/extensions/${extension.id}`}>
                        Edit<span className="visually-hidden"> extension {extension.number}</span>
                      </Link>
                      <button type="button" className="button-quiet" onClick={() => void sendWelcome([extension.id])}>
                        Welcome email<span className="visually-hidden"> to {extension.number}</span>
                      </button>
                      <button type="button" className="button-danger" onClick={() => void remove(extension)}>
                        Delete<span className="visually-hidden"> extension {extension.number}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && (
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            disabled={query.page <= 1}
            onClick={() => setQuery((q) => ({ ...q, page: q.page - 1 }))}
          >
            Previous page
          </button>
          <span>
            Page {query.page} of {pages} · {list.data.total} extensions
          </span>
          <button
            type="button"
            disabled={query.page >= pages}
            onClick={() => setQuery((q) => ({ ...q, page: q.page + 1 }))}
          >
            Next page
          </button>
          <SelectField
            label="Per page"
            name="pageSize"
            value={String(query.pageSize)}
            onChange={(e) => update({ pageSize: Number(e.target.value) })}
          >
            {[10, 20, 50, 100].map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </SelectField>
        </nav>
      )}
      <div id="extension-devices">
        {devicesOf && <RegisteredDevices extensionId={devicesOf.id} number={devicesOf.number} />}
      </div>
    </section>
  );
}
