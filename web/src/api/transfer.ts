// Export / import (GET /export, POST /import). The buttons stay disabled while /export answers 404.
import { ApiError, pause, request, type RequestOptions } from './client';
import type { ImportReport } from './types';

let probe: Promise<boolean> | null = null;

/** Whether /export exists (a HEAD request; 404 or 405 = not deployed). Checked once. */
export function exportAvailable(): Promise<boolean> {
  // One application's page at most: a HEAD runs the GET handler, which reads what it would send.
  probe ??= request('/export?limit=1', { method: 'HEAD' }).then(
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

type Item = Record<string, unknown>;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Every page of GET /export merged into one document. A page may end inside an application
 * too big for one page (its feedback and rejections past a page's limits): the next page then
 * starts with that application again (same id, every field) carrying the rest of its children,
 * which are added to the first, so the document lists each application once. */
async function exportDocument(progress: (page: number) => void): Promise<ExportPage> {
  progress(1);
  let page = await request<ExportPage>('/export?limit=500');
  const applications: Item[] = [];
  const add = (items: unknown[]) => {
    for (const item of items as Item[]) {
      const last = applications.at(-1);
      if (last && item && item.id != null && last.id === item.id) {
        (last.feedback as unknown[]).push(...list(item.feedback));
        (last.rejections as unknown[]).push(...list(item.rejections));
      } else {
        applications.push({ ...item, feedback: [...list(item?.feedback)], rejections: [...list(item?.rejections)] });
      }
    }
  };
  add(page.applications);
  for (let n = 2; page.next_cursor; n++) {
    progress(n);
    page = await request<ExportPage>(`/export?limit=500&cursor=${encodeURIComponent(page.next_cursor)}`);
    add(page.applications);
  }
  return { ...page, applications, next_cursor: null };
}

/** Every page of GET /export, merged into one document, as a file download (JSON); `progress`
 * is told before each page is asked for. Answers how many applications the file holds. */
export async function downloadExport(progress: (page: number) => void = () => {}): Promise<number> {
  const data = await exportDocument(progress);
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `feedback-tracker-export-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  // Not at once: Firefox and Safari may not have started reading the file when click() returns.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return data.applications.length;
}

/** What one POST /import takes (docs/api.md): up to 1,000 rows (500 keeps a part like the
 * export page it came from), 10,000 feedback and rejections together, and a 4 MiB body (less
 * room for the document's other fields) that takes at most 5 MiB as the Lambda event carries
 * it, escaped. A file is sent in parts within all of them: each value is measured as carried
 * (never less than its own bytes), so within 4 MiB so measured both byte limits hold. */
const IMPORT_ROWS = 500;
const IMPORT_CHILDREN = 10_000;
const IMPORT_BYTES = 4 * 1024 * 1024 - 64 * 1024;

const utf8 = new TextEncoder();
/** Bytes of `value`'s JSON as the event carries it (inside a JSON string: a quote or backslash
 * twice, a control character as its escape), with the comma after it. */
const size = (value: unknown) => utf8.encode(JSON.stringify(JSON.stringify(value))).length - 1;

/** One request's worth of a file: its applications (rows `start + 1`…), and for the original
 * API's document the top-level feedback and rejections naming them. `continues` marks the
 * second and later parts of one application too big for one request: the same application
 * with the next slice of its children. */
export interface ImportPart {
  start: number;
  applications: unknown[];
  feedback?: unknown[];
  rejections?: unknown[];
  continues?: boolean;
  /** In a continuation: how many of the application's own feedback come before this slice. */
  feedbackOffset?: number;
  rejectionsOffset?: number;
}

/** The children of one application: its own arrays, and the original API's top-level ones that
 * name it (`application_id`). */
interface Unit {
  index: number;
  application: unknown;
  feedback: unknown[];
  rejections: unknown[];
  topFeedback: unknown[];
  topRejections: unknown[];
}

const children = (unit: Unit) =>
  unit.feedback.length + unit.rejections.length + unit.topFeedback.length + unit.topRejections.length;

/** A file's applications cut into consecutive parts within the request's limits. `top` is the
 * original API's top-level `feedback` and `rejections` (null for our export): each part carries
 * only the ones naming its applications, counted in its limits; ones naming no application of
 * the file go with the first part, so the API says what is wrong with them. An application
 * that alone passes the children or the byte limit becomes several single-application parts,
 * each the application with the next slice of its children (feedback first, then rejections);
 * a single child too big for a request is a part by itself (the API then says why it refuses
 * it). */
export function importParts(all: unknown[], top: { feedback: unknown[]; rejections: unknown[] } | null = null): ImportPart[] {
  const byApp = new Map<string, { feedback: unknown[]; rejections: unknown[] }>();
  const units: Unit[] = all.map((application, index) => {
    const app = (application ?? {}) as Item;
    const unit = { index, application, feedback: list(app.feedback), rejections: list(app.rejections), topFeedback: [], topRejections: [] };
    if (top && app.id != null && !byApp.has(String(app.id))) byApp.set(String(app.id), { feedback: unit.topFeedback, rejections: unit.topRejections });
    return unit;
  });
  const orphans = { feedback: [] as unknown[], rejections: [] as unknown[] };
  for (const kind of ['feedback', 'rejections'] as const) {
    for (const child of top?.[kind] ?? []) {
      const owner = (child as Item | null)?.application_id;
      (byApp.get(String(owner))?.[kind] ?? orphans[kind]).push(child);
    }
  }
  const parts: ImportPart[] = [];
  const open = (start: number): ImportPart => {
    const part: ImportPart = { start, applications: [], ...(top ? { feedback: [], rejections: [] } : {}) };
    parts.push(part);
    return part;
  };
  let current = open(0);
  let count = 0;
  let bytes = 0;
  for (const kind of ['feedback', 'rejections'] as const) {
    current[kind]?.push(...orphans[kind]);
    for (const child of orphans[kind]) { count += 1; bytes += size(child); }
  }
  for (const unit of units) {
    const more = children(unit);
    const weight = size(unit.application) + [...unit.topFeedback, ...unit.topRejections].reduce<number>((n, c) => n + size(c), 0);
    if (more <= IMPORT_CHILDREN && weight <= IMPORT_BYTES) {
      if (current.applications.length > 0 && (current.applications.length === IMPORT_ROWS || count + more > IMPORT_CHILDREN || bytes + weight > IMPORT_BYTES)) {
        current = open(unit.index);
        count = 0;
        bytes = 0;
      }
      current.applications.push(unit.application);
      current.feedback?.push(...unit.topFeedback);
      current.rejections?.push(...unit.topRejections);
      count += more;
      bytes += weight;
      continue;
    }
    // Too big for one request: the application alone, with slices of its children.
    const bare = { ...(unit.application as Item), feedback: [], rejections: [] };
    const base = size(bare);
    const offsets = { feedback: 0, rejections: 0 };
    interface Piece { app: Item; part: ImportPart; count: number; bytes: number }
    const piece = (part: ImportPart, continues: boolean, already = 0, used = 0): Piece => {
      const app: Item = { ...bare, feedback: [], rejections: [] };
      part.start = unit.index;
      part.applications.push(app);
      if (continues) Object.assign(part, { continues: true, feedbackOffset: offsets.feedback, rejectionsOffset: offsets.rejections });
      return { app, part, count: already, bytes: used + base };
    };
    // The part so far is still empty (orphans aside) at the start of the file or after another
    // split application: this one starts it.
    let now = current.applications.length === 0 ? piece(current, false, count, bytes) : piece(open(unit.index), false);
    const slices = [
      ...unit.feedback.map((child) => ({ kind: 'feedback' as const, child, top: false })),
      ...unit.topFeedback.map((child) => ({ kind: 'feedback' as const, child, top: true })),
      ...unit.rejections.map((child) => ({ kind: 'rejections' as const, child, top: false })),
      ...unit.topRejections.map((child) => ({ kind: 'rejections' as const, child, top: true })),
    ];
    for (const { kind, child, top: isTop } of slices) {
      const weightOf = size(child);
      if (now.count > 0 && (now.count + 1 > IMPORT_CHILDREN || now.bytes + weightOf > IMPORT_BYTES)) {
        now = piece(open(unit.index), true);
      }
      if (isTop) now.part[kind]?.push(child);
      else {
        (now.app[kind] as unknown[]).push(child);
        offsets[kind] += 1;
      }
      now.count += 1;
      now.bytes += weightOf;
    }
    // Whatever follows starts a part of its own.
    current = open(unit.index + 1);
    count = 0;
    bytes = 0;
  }
  // A trailing part that holds nothing (after a split application) is not sent.
  return parts.filter((part, i) => i === 0 || part.applications.length > 0);
}

/** A file could not be imported whole: `reports` is what the parts before `failed` (from 1, of
 * `parts`) did; `cause` why that one failed. */
export class ImportFailure extends Error {
  constructor(
    readonly reports: ImportReport[],
    readonly failed: number,
    readonly parts: number,
    readonly cause: unknown,
  ) {
    super(problemText(cause));
  }
}

/** An error in words: a problem's title or detail, and for a 422 the first few of its `errors`
 * (field and message). */
export function problemText(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const errors = error.problem?.errors ?? [];
  if (!errors.length) return error.message;
  const listed = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`).join('; ');
  const more = errors.length > 3 ? `; and ${errors.length - 3} more` : '';
  return `${error.message} (${listed}${more})`;
}

/** A file's text as UTF-8 (a leading BOM dropped). A file in another encoding (Excel's plain
 * "CSV" is Windows-1252) is refused: Blob.text() would turn each byte it cannot read into U+FFFD,
 * and the garbled text would be imported as valid, under ids a corrected file would not meet. */
async function utf8Text(file: Blob): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('This file is not UTF-8: save it as UTF-8 (in Excel, "CSV UTF-8") and import it again.');
  }
}

/** A document as the API takes it: our export, the original API's `{applications, feedback,
 * rejections}`, or its bare array of applications (wrapped). */
function readDocument(text: string): Item {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`This file is not JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (Array.isArray(parsed)) return { applications: parsed };
  if (!parsed || typeof parsed !== 'object') throw new Error('This file holds no applications.');
  return parsed as Item;
}

/** The most data rows one CSV request takes (docs/api.md). */
const CSV_ROWS = 1_000;

/** A CSV cut into requests within the API's limits: each part is the header row and the next
 * records (at most CSV_ROWS that are not blank, and IMPORT_BYTES as carried), and `offset` is
 * what turns a line of the part into a line of the file (the API numbers rows by the line a
 * record starts on). Records end at a line break outside quotes, so a quoted cell may hold
 * line breaks. */
export function csvParts(text: string): { body: string; offset: number }[] {
  // Read as the API's CSV reader reads: a quote opens a quoted cell only at the start of a
  // cell (elsewhere it is text), `""` inside one is a quote, and a record ends at a line break
  // outside quotes: `\n`, `\r\n` or a lone `\r`.
  const records: { start: number; end: number }[] = [];
  let quoted = false;
  let cellStart = true;
  let start = 0;
  for (let at = 0; at < text.length; at++) {
    const c = text[at];
    if (quoted) {
      if (c === '"') {
        if (text[at + 1] === '"') at += 1;
        else quoted = false;
      }
    } else if (c === '"' && cellStart) {
      quoted = true;
      cellStart = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[at + 1] === '\n') at += 1;
      records.push({ start, end: at + 1 });
      start = at + 1;
      cellStart = true;
    } else {
      cellStart = c === ',';
    }
  }
  if (start < text.length) records.push({ start, end: text.length });
  const blank = (row: { start: number; end: number }) => /^[,;\s]*$/.test(text.slice(row.start, row.end));
  // Blank lines before the header are skipped, as the API skips them.
  const [header, ...rows] = records.slice(Math.max(0, records.findIndex((record) => !blank(record))));
  if (!header || blank(header)) return [{ body: text, offset: 0 }];
  const head = text.slice(header.start, header.end).replace(/[\r\n]*$/, '\r\n');
  const linesBefore = (at: number) => text.slice(0, at).split('\n').length - 1;
  const parts: { body: string; offset: number }[] = [];
  let first = 0;
  while (first < rows.length) {
    let bytes = size(head);
    let count = 0;
    let last = first;
    while (last < rows.length) {
      const more = size(text.slice(rows[last].start, rows[last].end));
      const row = blank(rows[last]) ? 0 : 1;
      if (last > first && (count + row > CSV_ROWS || bytes + more > IMPORT_BYTES)) break;
      bytes += more;
      count += row;
      last += 1;
    }
    const chunk = text.slice(rows[first].start, rows[last - 1].end);
    // The chunk's first line is line 2 of the part (after a one-line header), and line
    // linesBefore + 1 of the file.
    const headerLines = head.split('\n').length - 1;
    parts.push({ body: head + chunk, offset: linesBefore(rows[first].start) + 1 - (headerLines + 1) });
    first = last;
  }
  return parts.length ? parts : [{ body: text, offset: 0 }];
}

/** POST /import with a CSV (another tracker's export, LinkedIn's Job Applications.csv, ours),
 * in parts of at most 1,000 rows; each report's rows are numbered by the file's lines. */
async function importCsv(text: string, progress: (part: number, parts: number) => void): Promise<ImportReport[]> {
  const parts = csvParts(text);
  const reports: ImportReport[] = [];
  for (const [index, part] of parts.entries()) {
    progress(index + 1, parts.length);
    const options: RequestOptions = { method: 'POST', text: { type: 'text/csv', body: part.body } };
    reports.push(await sendPart(options, part.offset, { reports, part: index + 1, parts: parts.length }));
  }
  return reports;
}

/** How often a part answered 503 is sent again: after RESEND_PAUSE_MS, then twice and three
 * times that. */
const PART_RESENDS = 3;
const RESEND_PAUSE_MS = 1000;
/** Reports of parts sent again: rows the first send wrote are `duplicate` in them. */
const resent = new WeakSet<ImportReport>();

/** POST /import of one part of a file, its report's rows renumbered by `offset` into the
 * whole file's numbering. A failure is an ImportFailure that carries the earlier parts'
 * `reports` and which part of how many failed. */
async function sendPart(
  options: RequestOptions,
  offset: number,
  at: { reports: ImportReport[]; part: number; parts: number },
): Promise<ImportReport> {
  let report: ImportReport;
  for (let attempt = 0; ; attempt++) {
    try {
      report = await request<ImportReport>('/import', options);
      if (attempt) resent.add(report);
      break;
    } catch (error) {
      // A 503 (the database busy, or the import's 20 s spent) leaves part of the part written at
      // most, and the same part sent again skips that and writes the rest (docs/api.md).
      if (!(error instanceof ApiError && error.status === 503) || attempt === PART_RESENDS) {
        throw new ImportFailure(at.reports, at.part, at.parts, error);
      }
      await pause(RESEND_PAUSE_MS * (attempt + 1));
    }
  }
  for (const row of report.rows) {
    row.row += offset;
    if (row.same_as_row != null) row.same_as_row += offset;
  }
  return report;
}

/** Whether a chosen file is a CSV (by its type, or its name when the browser names no type). */
export const isCsv = (file: File) => /csv/i.test(file.type) || /\.csv$/i.test(file.name);

/** POST /import with the JSON of a previous export (or the original API's), in parts; each
 * report's rows are numbered in the whole file, and a continuation part's row (the rest of an
 * application's children) is added to the row of the application's first part. `progress` is
 * told before each part is sent. A part that fails stops the import: ImportFailure says what
 * the earlier ones did. */
export async function importFile(file: Blob, progress: (part: number, parts: number) => void = () => {}): Promise<ImportReport[]> {
  const text = await utf8Text(file);
  if (file instanceof File && isCsv(file)) return importCsv(text, progress);
  const document = readDocument(text);
  const all = list(document.applications);
  const original = Array.isArray(document.feedback) || Array.isArray(document.rejections);
  const parts = importParts(all, original ? { feedback: list(document.feedback), rejections: list(document.rejections) } : null);
  const reports: ImportReport[] = [];
  // The report row of each split application's first part, by its position in the file.
  const firstRows = new Map<number, { report: ImportReport; row: ImportReport['rows'][number]; skip: boolean }>();
  for (const [index, part] of parts.entries()) {
    const first = firstRows.get(part.start);
    // The application's first part was refused (a bad field or child): nothing of it was
    // written, and the rest of its children are not sent either, so it never arrives half.
    if (part.continues && first?.skip) continue;
    progress(index + 1, parts.length);
    const body: Item = { ...document, applications: part.applications };
    if (original) {
      if ('feedback' in document || part.feedback?.length) body.feedback = part.feedback ?? [];
      if ('rejections' in document || part.rejections?.length) body.rejections = part.rejections ?? [];
    }
    const report = await sendPart({ method: 'POST', body }, part.start, { reports, part: index + 1, parts: parts.length });
    if (part.continues && first && report.rows.length === 1) {
      const row = report.rows[0];
      first.row.children_created = (first.row.children_created ?? 0) + (row.children_created ?? 0);
      if (row.outcome === 'rejected' && first.row.outcome !== 'rejected') {
        // Part of its children were refused: the application is reported rejected, with why
        // (the indexes of its own children counted in the whole file).
        if (first.row.outcome === 'created') first.report.created -= 1;
        else first.report.duplicates -= 1;
        first.report.rejected += 1;
        first.row.outcome = 'rejected';
      }
      if (row.errors?.length) {
        first.row.errors = [...(first.row.errors ?? []), ...row.errors.map((e) => ({
          ...e,
          field: e.field.replace(/^(feedback|rejections)\[(\d+)\]/, (_, kind: string, n: string) =>
            `${kind}[${Number(n) + (kind === 'feedback' ? part.feedbackOffset ?? 0 : part.rejectionsOffset ?? 0)}]`),
        }))];
      }
      continue;
    }
    if (!part.continues && part.applications.length === 1 && parts[index + 1]?.continues && report.rows.length >= 1) {
      const row = report.rows[report.rows.length - 1];
      firstRows.set(part.start, { report, row, skip: row.outcome === 'rejected' });
    }
    reports.push(report);
  }
  return reports;
}

/** What an import did, in one sentence: counts, the first rejected rows with why, and the CSV
 * columns no field took (each name once, from every part). `warning` when rows were rejected or
 * columns left out. */
export function importSummary(reports: ImportReport[]): { text: string; rejected: number; warning: boolean } {
  const count = (key: 'created' | 'duplicates' | 'rejected') => reports.reduce((n, r) => n + r[key], 0);
  const rejected = reports.flatMap((r) => r.rows.filter((row) => row.outcome === 'rejected'));
  const why = rejected
    .slice(0, 5)
    .map((row) => `row ${row.row}: ${(row.errors ?? []).map((e) => `${e.field} ${e.message}`).join('; ')}`)
    .join(' · ');
  const more = rejected.length > 5 ? ` · and ${rejected.length - 5} more` : '';
  const children = reports.reduce((n, r) => r.rows.reduce((m, row) => m + (row.children_created ?? 0), n), 0);
  const written = children ? `; ${children.toLocaleString('en-US')} feedback and rejections written` : '';
  const ignored = [...new Set(reports.flatMap((r) => r.ignored_columns ?? []))];
  const left = ignored.length ? ` — columns not imported: ${ignored.join(', ')}` : '';
  // A part sent again reports what its first send wrote as already here.
  const again = reports.some((report) => resent.has(report))
    ? ' (a part was sent again after the database had been unavailable: what its first send wrote counts as already here)'
    : '';
  const text = `Import: ${count('created')} created, ${count('duplicates')} already here${again}, ${count('rejected')} rejected${written}${
    rejected.length ? ` — ${why}${more}` : ''
  }${left}.`;
  return { text, rejected: rejected.length, warning: rejected.length > 0 || ignored.length > 0 };
}
