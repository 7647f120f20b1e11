/** What one benchmark module reports: a titled table plus notes, printed as Markdown. */
export interface BenchSection {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** A benchmark module's default export. `log` prints progress to stderr so tables stay clean. */
export type BenchModule = (log: (line: string) => void) => Promise<BenchSection[]>;

/** Renders one section as a Markdown table under a heading of `level` (`###` by default). */
export function renderSection(section: BenchSection, level = 3): string {
  const lines = [`${"#".repeat(level)} ${section.title}`, "", `| ${section.columns.join(" | ")} |`];
  lines.push(`| ${section.columns.map(() => "---").join(" | ")} |`);
  for (const row of section.rows) lines.push(`| ${row.map(String).join(" | ")} |`);
  for (const note of section.notes ?? []) lines.push("", note);
  return lines.join("\n");
}
