import type { ArchiveReport } from '../../archive/audit-archiver.service';
import type { PartitionDecision } from '../../archive/retention';

const month = (d: PartitionDecision) => d.periodStart.toISOString().slice(0, 7);

/** The human lines of an archive run (`archive` and `retention apply`). */
export function archiveReportLines(report: ArchiveReport): string[] {
  const lines: string[] = [];
  for (const s of report.archived)
    lines.push(
      `archived ${s.partition}: ${s.events} events (global_seq ${s.fromSeq}..${s.toSeq}) -> ${s.location}`,
      `  manifest sha256 ${s.manifestSha256}`,
    );
  if (report.dryRun)
    for (const d of report.planned.filter((p) => p.allowed))
      lines.push(`would archive ${d.partition} (${month(d)}): ${d.events} events`);
  if (report.refused) {
    lines.push(`kept ${report.refused.partition} (${month(report.refused)}), and every later month:`);
    for (const b of report.refused.blockers) lines.push(`  - ${b}`);
  }
  if (lines.length === 0) lines.push('Nothing to archive: no closed month with events before that date.');
  return lines;
}
