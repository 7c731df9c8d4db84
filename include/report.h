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

#endif
