import { useQuery } from "@tanstack/react-query";
import { type DragEvent, useEffect, useState } from "react";
import { ApiError, type CallOutput, call, download } from "../../api/client";
import { Banner, SelectField } from "../../components/forms";
import { Failed, Loading } from "../../components/states";

type Job = CallOutput<"companyContacts.importStatus">;
const FINISHED: Job["status"][] = ["completed", "failed", "rejected"];

/** Company contacts import (CSV or vCard, with the job's progress and per-line errors), export, phonebook URLs. */
export function ImportExportPage() {
  const [mode, setMode] = useState<"valid_rows" | "all_or_nothing">("valid_rows");
  const [job, setJob] = useState<Job>();
  const [problem, setProblem] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const [exportFormat, setExportFormat] = useState<"csv" | "vcard3" | "vcard4">("csv");

  useEffect(() => {
    if (!job || FINISHED.includes(job.status)) return;
    const timer = setTimeout(async () => {
      try {
        setJob(await call("companyContacts.importStatus", { params: { jobId: job.id } }));
      } catch (error) {
        setProblem((error as Error).message);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [job]);

  const start = async (file: File) => {
    setProblem(undefined);
    setJob(undefined);
    const format = /\.(vcf|vcard)$/i.test(file.name) ? "vcard" : "csv";
    try {
      setJob(await call("companyContacts.import", { query: {}, body: { format, mode, content: await file.text() } }));
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : "The file could not be sent");
    }
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void start(file);
  };
  const exportFile = async () => {
    const blob = await download("companyContacts.export", { format: exportFormat });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = exportFormat === "csv" ? "company-contacts.csv" : "company-contacts.vcf";
    link.click();
    URL.revokeObjectURL(link.href);
  };

  const percent = job
    ? job.valid === 0
      ? FINISHED.includes(job.status)
        ? 100
        : 0
      : Math.floor((job.done / job.valid) * 100)
    : 0;

  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">Company contacts: import and export</h1>
      <div className="card">
        <h2>Import</h2>
        <SelectField
          label="When a row is invalid"
          name="mode"
          value={mode}
          onChange={(e) => setMode(e.target.value as typeof mode)}
        >
          <option value="valid_rows">Import the valid rows</option>
          <option value="all_or_nothing">Import nothing</option>
        </SelectField>
        <label
          className={`drop${dragging ? " drop-active" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <span>Drop a CSV or vCard file here, or choose one</span>
          <input
            type="file"
            name="file"
            accept=".csv,.vcf,text/csv,text/vcard"
            aria-label="Contacts file (CSV or vCard)"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void start(file);
            }}
          />
        </label>
        <Banner message={problem} />
        {job && (
          <div className="import-job" aria-live="polite">
            <label htmlFor="import-progress">
              Import {job.status}: {percent} %
            </label>
            <progress id="import-progress" max={100} value={percent}>
              {percent} %
            </progress>
            <p>
              {job.total} rows: {job.valid} valid, {job.invalid} invalid; {job.created} created, {job.updated} updated,{" "}
              {job.unchanged} unchanged.
            </p>
            {job.errors.length > 0 && (
              <table>
                <caption>Problems in the file</caption>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Field</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {job.errors.map((error) => (
                    <tr key={`${error.line}-${error.field}`}>
                      <td>{error.line}</td>
                      <td>{error.field}</td>
                      <td>{error.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </div>
      <div className="card">
        <h2>Export</h2>
        <div className="toolbar">
          <SelectField
            label="Format"
            name="exportFormat"
            value={exportFormat}
            onChange={(e) => setExportFormat(e.target.value as typeof exportFormat)}
          >
            <option value="csv">CSV</option>
            <option value="vcard3">vCard 3.0</option>
            <option value="vcard4">vCard 4.0</option>
          </SelectField>
          <button type="button" onClick={() => void exportFile()}>
            Export company contacts
          </button>
        </div>
      </div>
      <PhonebookCard />
    </section>
  );
}

function PhonebookCard() {
  const info = useQuery({ queryKey: ["phonebook"], queryFn: () => call("phonebook.info") });
  const [token, setToken] = useState<string>();
  const rotate = async () => {
    const answer = await call("phonebook.rotateToken");
    setToken(answer.token);
    await info.refetch();
  };
  return (
    <div className="card">
      <h2>Phonebook URLs for IP phones</h2>
      {info.isPending ? (
        <Loading what="phonebook URLs" />
      ) : info.isError ? (
        <Failed error={info.error} />
      ) : (
        <>
          {!info.data.configured && <p>No phonebook credential yet: create one to give phones access.</p>}
          {token && <Banner tone="info" message={`Phonebook token (shown once): ${token}`} />}
          <dl className="details">
            {Object.entries(info.data.urls).map(([vendor, url]) => (
              <div key={vendor} className="detail-row">
                <dt>{vendor}</dt>
                <dd>
                  <code>{url}</code>
                </dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => void rotate()}>
            {info.data.configured ? "Replace the phonebook token" : "Create a phonebook token"}
          </button>
        </>
      )}
    </div>
  );
}
