/*
 * report_int.h - formatters shared by the text report (report.c) and the
 * HTML report (html.c): kubectl's AGE column, sizes, access modes, and
 * the one-line description of an expectation.
 */
#ifndef SIM_REPORT_INT_H
#define SIM_REPORT_INT_H

#include <stddef.h>

#include "base.h"
#include "scenario.h"

/* kubectl's AGE column: "45s", "5m", "2m30s", "3h", "3h5m". */
void report__fmt_age(simtime age, char *buf, size_t n);
/* 1073741824 -> "1Gi". */
void report__fmt_bytes(int64_t b, char *buf, size_t n);
/* ACCESS_RWO|ACCESS_RWX -> "RWO,RWX". */
void report__fmt_modes(unsigned m, char *buf, size_t n);
/* "pod web-1 becomes Ready at 45s +/-15s", "statefulSet web at end: ..." */
void report__describe_expect(const struct expectation *e, char *buf, size_t n);

#endif
