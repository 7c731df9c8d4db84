/*
 * report.h - what a finished run prints: the timeline in `kubectl get
 * events` style, the final state in `kubectl get sts,pods,pvc,pv,nodes
 * -o wide` style, the property verdicts and the expectations (text), or
 * the one JSON object of interface.md section 4.
 *
 * Output depends only on the run (D7): fixed precision, no addresses, no
 * wall clock.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdio.h>

#include "world.h"

enum report_detail {
  REPORT_QUIET = -1,  /* verdicts and unmet expectations only */
  REPORT_NORMAL = 0,  /* timeline, final state, verdicts, expectations */
  REPORT_VERBOSE = 1, /* plus the controllers' decision traces */
};

void report_text(FILE *f, struct world *w, enum report_detail detail);
void report_json(FILE *f, struct world *w);

/*
 * The self-contained HTML report of `stsim run --report` (html.c): the
 * header (scenario, seed, version, simulated time, digest, verdict), the
 * timeline picture as inline SVG - one row per pod ordinal and per node
 * from world_history(), with markers for actions and first violations -
 * then the verdicts, the expectations, the timeline table and the final
 * state. No scripts, fonts or links to anything outside the file. Without
 * a recorded history (world_opts.record_history unset) the picture says
 * so. Large runs are cut to the limits below, and the file says where.
 * detail REPORT_VERBOSE adds the decision traces to the timeline table.
 */
#define REPORT_HTML_MAX_POD_ROWS 200
#define REPORT_HTML_MAX_NODE_ROWS 100
#define REPORT_HTML_MAX_MARKERS 200
#define REPORT_HTML_MAX_EVENTS 1000
#define REPORT_HTML_MAX_TABLE_ROWS 500
void report_html(FILE *f, struct world *w, enum report_detail detail);

/*
 * Atomic result files (atomic.c): report_file_open() creates a new
 * temporary file beside path (path.tmp, path.tmp1, ...: never one another
 * writer has open); report_file_commit() flushes it to disk and renames it
 * over path, so a reader sees the old file or the complete new one, never
 * a partial one; report_file_abort() removes it. Both release rf. Errors:
 * SIM_EIO with d filled ("cannot write 'x': reason").
 */
struct report_file {
  FILE *f;
  char *path; /* owned copies */
  char *tmp;
};

int report_file_open(struct report_file *rf, const char *path, struct diag *d);
int report_file_commit(struct report_file *rf, struct diag *d);
void report_file_abort(struct report_file *rf);

#endif
