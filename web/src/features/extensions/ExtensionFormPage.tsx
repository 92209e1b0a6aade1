import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, type BodyOf, type CallOutput, call, checkBody } from "../../api/client";
import { Banner, Field, SelectField, useSubmit } from "../../components/forms";
import { generatePassword, generateRegistrationName } from "../../components/generate";
import { Failed, Loading } from "../../components/states";
import { Link, navigate } from "../../router";
import { RegisteredDevices } from "./RegisteredDevices";

type Extension = CallOutput<"extensions.get">;

interface Values {
  firstName: string;
  lastName: string;
  email: string;
  mobileNumber: string;
  userPassword: string;
  role: string;
  organizations: string[];
  jobTitle: string;
  number: string;
  callerId: string;
  registrationName: string;
  registrationPassword: string;
  concurrentRegistrations: number;
  sendWelcomeEmail: boolean;
}

// The registration password goes into a quoted digest header: no quotes, backslashes or spaces.
const SIP_SYMBOLS = "!#$%*+-.=?@^_~";

function blank(): Values {
  return {
    firstName: "",
    lastName: "",
    email: "",
    mobileNumber: "",
    userPassword: generatePassword(16),
    role: "none",
    organizations: [],
    jobTitle: "",
    number: "",
    callerId: "",
    registrationName: generateRegistrationName(),
    registrationPassword: generatePassword(20, SIP_SYMBOLS),
    concurrentRegistrations: 1,
    sendWelcomeEmail: false,
  };
}

function fromExtension(extension: Extension): Values {
  return {
    ...blank(),
    ...extension,
    userPassword: "",
    registrationPassword: "",
    sendWelcomeEmail: false,
  };
}

/** Seed 002's "Extension and Trunk > Extension > Add" form, and the same form for editing. */
export function ExtensionFormPage({ extensionId }: { extensionId?: string }) {
  const existing = useQuery({
    queryKey: ["extension", extensionId],
    queryFn: () => call("extensions.get", { params: { extensionId: extensionId ?? "" } }),
    enabled: Boolean(extensionId),
  });
  if (extensionId && existing.isPending) return <Loading what="the extension" />;
  if (extensionId && existing.isError) return <Failed error={existing.error} />;
  return (
    <>
      <ExtensionForm key={extensionId ?? "new"} extension={existing.data} />
      {existing.data && <RegisteredDevices extensionId={existing.data.id} number={existing.data.number} />}
    </>
  );
}

function ExtensionForm({ extension }: { extension?: Extension }) {
  const queries = useQueryClient();
  const [values, setValues] = useState<Values>(() => (extension ? fromExtension(extension) : blank()));
  const [showUserPassword, setShowUserPassword] = useState(false);
  const [showSipPassword, setShowSipPassword] = useState(false);
  const [created, setCreated] = useState<CallOutput<"extensions.create">>();
  const { errors, banner, busy, run, setBanner } = useSubmit();
  const roles = useQuery({ queryKey: ["roles"], queryFn: () => call("roles.list") });
  const settings = useQuery({ queryKey: ["settings"], queryFn: () => call("settings.get") });
  const organizationsOn = settings.data?.organizationManagement ?? false;
  const organizations = useQuery({
    queryKey: ["organizations"],
    queryFn: () => call("organizations.list"),
    enabled: organizationsOn,
  });
  const set = <K extends keyof Values>(name: K, value: Values[K]) => setValues((v) => ({ ...v, [name]: value }));
  const text = (name: keyof Values) => ({
    name,
    value: String(values[name]),
    error: errors[name],
    onChange: (e: { target: { value: string } }) => set(name, e.target.value as never),
  });

  useEffect(() => {
    if (created) document.getElementById("created-title")?.focus();
  }, [created]);

  const reveal = async () => {
    if (!extension) return setShowSipPassword((s) => !s);
    try {
      const secrets = await call("extensions.sipCredentials", { params: { extensionId: extension.id } });
      setValues((v) => ({ ...v, registrationPassword: secrets.registrationPassword }));
      setShowSipPassword(true);
    } catch (error) {
      setBanner(error instanceof ApiError ? error.message : "Could not reveal the registration password");
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      if (!extension) {
        const { organizations: orgs, ...rest } = values;
        const body: BodyOf<"extensions.create"> = {
          ...rest,
          ...(organizationsOn ? { organizations: orgs } : {}),
          role: rest.role as BodyOf<"extensions.create">["role"],
        };
        const answer = await call("extensions.create", { body });
        await queries.invalidateQueries({ queryKey: ["extensions"] });
        setCreated(answer);
        return;
      }
      const changes: Record<string, unknown> = {};
      for (const key of Object.keys(values) as (keyof Values)[]) {
        if (key === "userPassword" || key === "sendWelcomeEmail") continue;
        if (key === "registrationPassword" && !values.registrationPassword) continue;
        if (key === "organizations" && !organizationsOn) continue;
        if (JSON.stringify(values[key]) !== JSON.stringify((extension as unknown as Values)[key]))
          changes[key] = values[key];
      }
      // Both checks before either write, so a bad password does not leave half the edit saved.
      if (values.userPassword) checkBody("extensions.setPassword", { newPassword: values.userPassword });
      const wrapped = (apiError: unknown, field: string) => {
        if (apiError instanceof ApiError && apiError.fields.some((f) => f.field === "newPassword")) {
          throw new ApiError(400, apiError.code, apiError.message, [
            { in: "body", field, message: apiError.fields[0]?.message ?? "" },
          ]);
        }
        throw apiError;
      };
      if (Object.keys(changes).length) {
        await call("extensions.update", {
          params: { extensionId: extension.id },
          body: { ...changes, version: extension.version } as BodyOf<"extensions.update">,
        });
      }
      if (values.userPassword) {
        await call("extensions.setPassword", {
          params: { extensionId: extension.id },
          body: { newPassword: values.userPassword },
        }).catch((e: unknown) => wrapped(e, "userPassword"));
      }
      await queries.invalidateQueries({ queryKey: ["extensions"] });
      await queries.invalidateQueries({ queryKey: ["extension", extension.id] });
      navigate("/admin/extensions");
    }).catch(() => undefined);
  };

  if (created) {
    return (
      <section className="card narrow" aria-labelledby="created-title">
        <h1 id="created-title" tabIndex={-1}>
          Extension {created.number} created
        </h1>
        {created.initialUserPassword && (
          <p>
            User password (shown this once): <code>{created.initialUserPassword}</code>
          </p>
        )}
        {created.welcomeEmail && (
          <Banner
            tone={created.welcomeEmail.status === "sent" ? "success" : "error"}
            message={`Welcome email: ${created.welcomeEmail.status}${created.welcomeEmail.reason ? ` (${created.welcomeEmail.reason})` : ""}`}
          />
        )}
        <div className="actions">
          <Link to="/admin/extensions">Back to Extensions</Link>
          <button type="button" onClick={() => setCreated(undefined)} hidden>
            Keep editing
          </button>
        </div>
      </section>
    );
  }

  return (
    <form className="extension-form" onSubmit={onSubmit} noValidate aria-labelledby="extension-title">
      <div className="page-head">
        <h1 id="extension-title">{extension ? `Edit extension ${extension.number}` : "Add extension"}</h1>
        <div className="actions">
          <Link to="/admin/extensions">Cancel</Link>
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? "Saving…" : "Save and Apply"}
          </button>
        </div>
      </div>
      <Banner message={banner} />
      {Object.keys(errors).length > 0 && (
        <Banner message={`Check the ${Object.keys(errors).length === 1 ? "field" : "fields"} marked below.`} />
      )}
      <fieldset className="card">
        <legend>User Information</legend>
        <div className="grid">
          <Field label="First Name" autoComplete="off" {...text("firstName")} />
          <Field label="Last Name" autoComplete="off" {...text("lastName")} />
          <Field
            label="Email Address"
            type="email"
            autoComplete="off"
            hint="Used to log in to the portal and Linkus; one user per address"
            {...text("email")}
          />
          <Field label="Mobile Number" type="tel" autoComplete="off" {...text("mobileNumber")} />
          <div className="with-action">
            <Field
              label="User Password"
              type={showUserPassword ? "text" : "password"}
              autoComplete="new-password"
              hint={
                extension
                  ? "Leave empty to keep the current password"
                  : "Random by default; at least 10 characters with a number, an upper-case and a lower-case letter"
              }
              {...text("userPassword")}
            />
            <button type="button" className="button-quiet" onClick={() => setShowUserPassword((s) => !s)}>
              {showUserPassword ? "Hide" : "Show"}
              <span className="visually-hidden"> user password</span>
            </button>
          </div>
          <SelectField label="User Role" {...text("role")}>
            {!roles.data?.items.some((r) => r.id === values.role) && <option value={values.role}>{values.role}</option>}
            {roles.data?.items.map((role) => (
              <option key={role.id} value={role.id}>
                {role.name}
              </option>
            ))}
          </SelectField>
          {organizationsOn && (
            <fieldset className="field">
              <legend>Organization</legend>
              {organizations.data?.items.length === 0 && <p className="field-hint">No organizations yet.</p>}
              {organizations.data?.items.map((organization) => (
                <label key={organization.id} className="check">
                  <input
                    type="checkbox"
                    checked={values.organizations.includes(organization.id)}
                    onChange={(e) =>
                      set(
                        "organizations",
                        e.target.checked
                          ? [...values.organizations, organization.id]
                          : values.organizations.filter((id) => id !== organization.id),
                      )
                    }
                  />
                  {organization.name}
                </label>
              ))}
              {errors.organizations && <p className="field-error">Organization {errors.organizations}</p>}
            </fieldset>
          )}
          <Field label="Job Title" autoComplete="off" hint="Shown on Linkus clients" {...text("jobTitle")} />
        </div>
      </fieldset>
      <fieldset className="card">
        <legend>Extension Information</legend>
        <div className="grid">
          <Field label="Extension Number" inputMode="numeric" autoComplete="off" {...text("number")} />
          <Field
            label="Caller ID"
            type="tel"
            autoComplete="off"
            hint="Shown on the callee's device"
            {...text("callerId")}
          />
          <Field label="Registration Name" autoComplete="off" hint="Random by default" {...text("registrationName")} />
          <div className="with-action">
            <Field
              label="Registration Password"
              type={showSipPassword ? "text" : "password"}
              autoComplete="new-password"
              placeholder={extension && !values.registrationPassword ? "Unchanged" : undefined}
              hint={extension ? "Leave empty to keep it; Reveal shows the current one" : "Random and strong by default"}
              {...text("registrationPassword")}
            />
            <button type="button" className="button-quiet" onClick={() => void reveal()}>
              {showSipPassword ? "Hide" : extension ? "Reveal" : "Show"}
              <span className="visually-hidden"> registration password</span>
            </button>
          </div>
          <SelectField
            label="IP Phone Concurrent Registrations"
            name="concurrentRegistrations"
            value={String(values.concurrentRegistrations)}
            onChange={(e) => set("concurrentRegistrations", Number(e.target.value))}
            error={errors.concurrentRegistrations}
            hint="SIP endpoints other than Linkus clients; at most 3"
          >
            {[1, 2, 3].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </SelectField>
        </div>
      </fieldset>
      {!extension && (
        <label className="check">
          <input
            type="checkbox"
            checked={values.sendWelcomeEmail}
            onChange={(e) => set("sendWelcomeEmail", e.target.checked)}
          />
          Send the Linkus welcome email after saving
        </label>
      )}
    </form>
  );
}
