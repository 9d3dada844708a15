// Export / import (not in the API yet). The buttons stay disabled while /export answers 404.
import { ApiError, request } from './client';

let probe: Promise<boolean> | null = null;

/** Whether /export exists (a HEAD request; 404 or 405 = not deployed yet). Checked once. */
export function exportAvailable(): Promise<boolean> {
  probe ??= request('/export', { method: 'HEAD' }).then(
    () => true,
    (error) => !(error instanceof ApiError && (error.status === 404 || error.status === 405)),
  );
  return probe;
}

/** GET /export as a file download (JSON). */
export async function downloadExport(): Promise<void> {
  const data = await request<unknown>('/export');
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `feedback-tracker-export-${new Date().toISOString().slice(0, 10)}.json`;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** POST /import with the JSON of a previous export. */
export async function importFile(file: File): Promise<unknown> {
  return request<unknown>('/import', { method: 'POST', body: JSON.parse(await file.text()) });
}
