import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect } from "react";
import { connectLinkus, useChannel } from "./api/linkus";
import { type Principal, signOut, useSession } from "./api/session";
import { LoginPage } from "./features/auth/LoginPage";
import { PasswordPage } from "./features/auth/PasswordPage";
import { QuickLoginPage } from "./features/auth/QuickLoginPage";
import { ContactsPage } from "./features/contacts/ContactsPage";
import { ImportExportPage } from "./features/contacts/ImportExportPage";
import { EventsPage } from "./features/events/EventsPage";
import { ExtensionFormPage } from "./features/extensions/ExtensionFormPage";
import { ExtensionsPage } from "./features/extensions/ExtensionsPage";
import { NotificationsPage } from "./features/notifications/NotificationsPage";
import { OperatorPage } from "./features/operator/OperatorPage";
import { OrganizationsPage } from "./features/organizations/OrganizationsPage";
import { PermissionsPage } from "./features/permissions/PermissionsPage";
import { PhonePanel } from "./features/phone/PhonePanel";
import { RecordsPage } from "./features/records/RecordsPage";
import { RolesPage } from "./features/roles/RolesPage";
import { SecurityPage } from "./features/security/SecurityPage";
import { Link, navigate, usePath } from "./router";

type Menu = keyof Principal["menus"];

interface NavItem {
  to: string;
  label: string;
  /** Shown when this Linkus menu is visible to the user (Menu Visibility rules). */
  menu?: Menu;
  /** Shown when the user's role holds this permission (admin portal). */
  permission?: Principal["permissions"][number];
}

const CLIENT_NAV: NavItem[] = [
  { to: "/contacts", label: "Contacts", menu: "contacts" },
  { to: "/call-logs", label: "Call Logs", menu: "call_logs" },
  { to: "/voicemails", label: "Voicemails", menu: "voicemails" },
  { to: "/recordings", label: "Recordings", menu: "recordings" },
  { to: "/settings", label: "Settings", menu: "settings" },
];

const ADMIN_NAV: NavItem[] = [
  { to: "/admin/extensions", label: "Extensions", permission: "extensions.view" },
  { to: "/admin/contacts", label: "Contacts import and export", permission: "company_contacts.manage" },
  { to: "/admin/permissions", label: "Linkus permissions", permission: "linkus_permissions.manage" },
  { to: "/admin/security", label: "Login security", permission: "security.manage" },
  { to: "/admin/organizations", label: "Organizations", permission: "organizations.view" },
  { to: "/admin/roles", label: "User roles", permission: "roles.view" },
  { to: "/admin/events", label: "Event log", permission: "event_log.view" },
  { to: "/admin/notifications", label: "Event notifications", permission: "event_notifications.manage" },
];

function allowed(item: NavItem, principal: Principal): boolean {
  if (item.menu && !principal.menus[item.menu]) return false;
  if (item.permission && !principal.permissions.includes(item.permission)) return false;
  return true;
}

export function App() {
  const path = usePath();
  if (path === "/quick-login") return <QuickLoginPage />;
  if (path === "/login") return <LoginPage />;
  if (path === "/operator") return <OperatorPage />;
  return <SignedIn path={path} />;
}

function SignedIn({ path }: { path: string }) {
  const session = useSession();
  const queries = useQueryClient();
  const signedIn = Boolean(session);
  useEffect(() => {
    if (!signedIn) return;
    return connectLinkus(queries);
  }, [signedIn, queries]);
  useEffect(() => {
    if (!signedIn) navigate(`/login`, { replace: true });
  }, [signedIn]);
  if (!session) return null;
  const principal = session.principal;
  const page = pageFor(path, principal);
  return (
    <Shell principal={principal} path={path}>
      {page}
    </Shell>
  );
}

function pageFor(path: string, principal: Principal): ReactNode {
  const visible = (menu: Menu) => principal.menus[menu];
  const hidden = (name: string) => (
    <p className="state" role="alert">
      {name} is not available to you: a Linkus permission rule hides this menu.
    </p>
  );
  if (path === "/" || path === "/contacts") return visible("contacts") ? <ContactsPage /> : hidden("Contacts");
  if (path === "/call-logs") return visible("call_logs") ? <RecordsPage kind="call" /> : hidden("Call Logs");
  if (path === "/voicemails") return visible("voicemails") ? <RecordsPage kind="voicemail" /> : hidden("Voicemails");
  if (path === "/recordings") return visible("recordings") ? <RecordsPage kind="recording" /> : hidden("Recordings");
  if (path === "/settings") return visible("settings") ? <PasswordPage /> : hidden("Settings");
  if (path === "/admin/extensions") return <ExtensionsPage />;
  if (path === "/admin/extensions/new") return <ExtensionFormPage />;
  const edit = /^\/admin\/extensions\/([0-9A-Z]{26})$/.exec(path);
  if (edit?.[1]) return <ExtensionFormPage extensionId={edit[1]} />;
  if (path === "/admin/contacts") return <ImportExportPage />;
  if (path === "/admin/permissions") return <PermissionsPage />;
  if (path === "/admin/security") return <SecurityPage />;
  if (path === "/admin/organizations") return <OrganizationsPage />;
  if (path === "/admin/roles") return <RolesPage />;
  if (path === "/admin/events") return <EventsPage />;
  if (path === "/admin/notifications") return <NotificationsPage />;
  return (
    <p className="state" role="alert">
      There is no page at {path}. <Link to="/contacts">Go to Contacts</Link>
    </p>
  );
}

function Shell({ principal, path, children }: { principal: Principal; path: string; children: ReactNode }) {
  const channel = useChannel();
  const client = CLIENT_NAV.filter((item) => allowed(item, principal));
  const admin = ADMIN_NAV.filter((item) => allowed(item, principal));
  const onLogout = async () => {
    await signOut();
    navigate("/login", { replace: true });
  };
  return (
    <div className="shell">
      <header className="topbar">
        <a className="skip" href="#main">
          Skip to content
        </a>
        <span className="brand">{principal.tenant.name}</span>
        <span className="who">
          {principal.extension.number} · {principal.extension.email || principal.role.name}
        </span>
        <span className={`live live-${channel.state}`} role="status" aria-label={`Live updates: ${channel.state}`}>
          {channel.state === "live" ? "Live" : channel.state === "connecting" ? "Connecting…" : "Offline"}
        </span>
        <button type="button" className="button-quiet" onClick={onLogout}>
          Log out
        </button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <p className="nav-title">Linkus Web Client</p>
        <ul>
          {client.map((item) => (
            <li key={item.to}>
              <Link to={item.to}>{item.label}</Link>
            </li>
          ))}
        </ul>
        {admin.length > 0 && (
          <>
            <p className="nav-title">Administration</p>
            <ul>
              {admin.map((item) => (
                <li key={item.to}>
                  <Link to={item.to}>{item.label}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </nav>
      <main id="main" className="content" data-path={path}>
        <CallNotice />
        <PhonePanel />
        {children}
      </main>
    </div>
  );
}

/** The user's own calls, from the 8111 channel: ringing, answered, ended. */
function CallNotice() {
  const { call } = useChannel();
  if (!call) return null;
  const peer = call.peer.name ? `${call.peer.name} (${call.peer.number})` : call.peer.number;
  const text =
    call.state === "ringing"
      ? call.direction === "inbound"
        ? `Incoming call from ${peer}`
        : `Calling ${peer}…`
      : call.state === "answered"
        ? `On a call with ${peer}`
        : `Call with ${peer} ended${call.durationSeconds !== undefined ? ` after ${call.durationSeconds} s` : ""}`;
  return (
    <p className="banner banner-info call-notice" role="status">
      {text}
    </p>
  );
}
