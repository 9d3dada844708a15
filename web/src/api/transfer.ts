// Export / import (GET /export, POST /import). The buttons stay disabled while /export answers 404.
import { ApiError, request } from './client';

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

/** POST /import with the JSON of a previous export, 1,000 applications per request (the API's limit). */
export async function importFile(file: File): Promise<unknown[]> {
  const document = JSON.parse(await file.text()) as ExportPage;
  const all = Array.isArray(document.applications) ? document.applications : [];
  const reports: unknown[] = [];
  for (let start = 0; start === 0 || start < all.length; start += 1000) {
    const part = { ...document, applications: all.slice(start, start + 1000) };
    reports.push(await request<unknown>('/import', { method: 'POST', body: part }));
  }
  return reports;
}
