// Export / import (GET /export, POST /import). The buttons stay disabled while /export answers 404.
import { ApiError, request } from './client';
import type { ImportReport } from './types';

let probe: Promise<boolean> | null = null;

/** Whether /export exists (a HEAD request; 404 or 405 = not deployed). Checked once. */
export function exportAvailable(): Promise<boolean> {
  probe ??= request('/export', { method: 'HEAD' }).then(
    () => true,
    (error) => !(error instanceof ApiError && (error.status === 404 || error.status === 405)),
  );
  return probe;
}

interface ExportPage {
  format: string;
  applications: unknown[];
  next_cursor: string | null;
  [field: string]: unknown;
}

/** Every page of GET /export, merged into one document, as a file download (JSON). */
export async function downloadExport(): Promise<void> {
  let page = await request<ExportPage>('/export?limit=500');
  const applications = [...page.applications];
  while (page.next_cursor) {
    page = await request<ExportPage>(`/export?limit=500&cursor=${encodeURIComponent(page.next_cursor)}`);
    applications.push(...page.applications);
  }
  const data = { ...page, applications, next_cursor: null };
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `feedback-tracker-export-${new Date().toISOString().slice(0, 10)}.json`;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** What one POST /import takes (docs/api.md): up to 1,000 rows (500 keeps a part like the
 * export page it came from), 10,000 feedback and rejections together, and a 4 MiB body (less
 * room for the document's other fields). A file is sent in parts within all three. */
const IMPORT_ROWS = 500;
const IMPORT_CHILDREN = 10_000;
const IMPORT_BYTES = 4 * 1024 * 1024 - 64 * 1024;

const utf8 = new TextEncoder();

/** The feedback and rejections an exported application carries. */
function childCount(application: unknown): number {
  const { feedback, rejections } = (application ?? {}) as { feedback?: unknown; rejections?: unknown };
  return (Array.isArray(feedback) ? feedback.length : 0) + (Array.isArray(rejections) ? rejections.length : 0);
}

/** `all` cut into consecutive parts within the request's limits; an application that alone
 * passes one is a part by itself (the API then says why it refuses it). */
export function importParts(all: unknown[]): { start: number; applications: unknown[] }[] {
  const parts: { start: number; applications: unknown[] }[] = [];
  let current = { start: 0, applications: [] as unknown[] };
  let children = 0;
  let bytes = 0;
  all.forEach((application, index) => {
    const more = childCount(application);
    const size = utf8.encode(JSON.stringify(application)).length + 1;
    const full =
      current.applications.length === IMPORT_ROWS ||
      children + more > IMPORT_CHILDREN ||
      bytes + size > IMPORT_BYTES;
    if (current.applications.length > 0 && full) {
      parts.push(current);
      current = { start: index, applications: [] };
      children = 0;
      bytes = 0;
    }
    current.applications.push(application);
    children += more;
    bytes += size;
  });
  parts.push(current);
  return parts;
}

/** POST /import with the JSON of a previous export, in parts; each report's rows are numbered
 * in the whole file. */
export async function importFile(file: File): Promise<ImportReport[]> {
  const document = JSON.parse(await file.text()) as ExportPage;
  const all = Array.isArray(document.applications) ? document.applications : [];
  const reports: ImportReport[] = [];
  for (const { start, applications } of importParts(all)) {
    const part = { ...document, applications };
    const report = await request<ImportReport>('/import', { method: 'POST', body: part });
    for (const row of report.rows) {
      row.row += start;
      if (row.same_as_row != null) row.same_as_row += start;
    }
    reports.push(report);
  }
  return reports;
}

/** What an import did, in one sentence: counts, and the first rejected rows with why. */
export function importSummary(reports: ImportReport[]): { text: string; rejected: number } {
  const count = (key: 'created' | 'duplicates' | 'rejected') => reports.reduce((n, r) => n + r[key], 0);
  const rejected = reports.flatMap((r) => r.rows.filter((row) => row.outcome === 'rejected'));
  const why = rejected
    .slice(0, 5)
    .map((row) => `row ${row.row}: ${(row.errors ?? []).map((e) => `${e.field} ${e.message}`).join('; ')}`)
    .join(' · ');
  const more = rejected.length > 5 ? ` · and ${rejected.length - 5} more` : '';
  const text = `Import: ${count('created')} created, ${count('duplicates')} already here, ${count('rejected')} rejected${
    rejected.length ? ` — ${why}${more}` : ''
  }.`;
  return { text, rejected: rejected.length };
}
