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

/** Applications per import request: an export page's size, so each part stays under the API's
 * 4 MiB body limit as the page it came from did (the API takes up to 1,000 rows). */
const IMPORT_PART = 500;

/** POST /import with the JSON of a previous export, in parts; each report's rows are numbered
 * in the whole file. */
export async function importFile(file: File): Promise<ImportReport[]> {
  const document = JSON.parse(await file.text()) as ExportPage;
  const all = Array.isArray(document.applications) ? document.applications : [];
  const reports: ImportReport[] = [];
  for (let start = 0; start === 0 || start < all.length; start += IMPORT_PART) {
    const part = { ...document, applications: all.slice(start, start + IMPORT_PART) };
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
