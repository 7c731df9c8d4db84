/*
 * report.c - text and JSON reports of one finished run (interface.md
 * sections 3 and 4).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "report_int.h"
#include "trace.h"

static void fmt_time(simtime t, char *buf, size_t n)
{
  sim_format_duration(t, buf, n);
}

/* kubectl's AGE column: "45s", "5m", "2m30s", "3h", "3h5m". */
void report__fmt_age(simtime age, char *buf, size_t n)
{
  int64_t s = age / 1000000;

  if (s < 120)
    snprintf(buf, n, "%" PRId64 "s", s);
  else if (s < 600)
    snprintf(buf, n, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
  else if (s < 3 * 3600)
    snprintf(buf, n, "%" PRId64 "m", s / 60);
  else if (s < 8 * 3600)
    snprintf(buf, n, "%" PRId64 "h%" PRId64 "m", s / 3600, s / 60 % 60);
  else
    snprintf(buf, n, "%" PRId64 "h", s / 3600);
}

void report__fmt_bytes(int64_t b, char *buf, size_t n)
{
  static const char *const units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int u = 0;

  while (b >= 1024 && b % 1024 == 0 && u < 6) {
    b /= 1024;
    u++;
  }
  snprintf(buf, n, "%" PRId64 "%s", b, units[u]);
}

void report__fmt_modes(unsigned m, char *buf, size_t n)
{
  static const struct {
    unsigned bit;
    const char *s;
  } t[] = {{ACCESS_RWO, "RWO"},
           {ACCESS_ROX, "ROX"},
           {ACCESS_RWX, "RWX"},
           {ACCESS_RWOP, "RWOP"}};
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < 4 && used < n; i++)
    if (m & t[i].bit)
      used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "",
                               t[i].s);
}

/* --- text -------------------------------------------------------------------
 */

struct table_ctx {
  FILE *f;
  struct world *w;
  simtime now;
  bool header;
};

static bool print_sts(const struct object *o, void *arg)
{
  struct table_ctx *c = arg;
  char age[32], ready[32], name[300];

  if (!c->header) {
    fprintf(c->f, "%-32s %-7s %-10s %s\n", "NAME", "READY", "AGE",
            "UPDATE-REVISION");
    c->header = true;
  }
  snprintf(ready, sizeof(ready), "%d/%d", o->u.sts.status.ready_replicas,
           o->u.sts.spec.replicas);
  snprintf(name, sizeof(name), "statefulset.apps/%s", o->meta.name);
  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  fprintf(c->f, "%-32s %-7s %-10s %s\n", name, ready, age,
          o->u.sts.status.update_revision ? o->u.sts.status.update_revision
                                          : "<none>");
  return true;
}

static bool print_pod(const struct object *o, void *arg)
{
  struct table_ctx *c = arg;
  const struct pod *p = &o->u.pod;
  char age[32], ready[32], name[300];
  int nready = 0, restarts = 0;

  if (!c->header) {
    fprintf(c->f, "%-24s %-7s %-18s %-9s %-8s %-15s %s\n", "NAME", "READY",
            "STATUS", "RESTARTS", "AGE", "IP", "NODE");
    c->header = true;
  }
  for (size_t i = 0; i < p->status.containers_nr; i++) {
    nready += p->status.containers[i].ready;
    restarts += p->status.containers[i].restart_count;
  }
  snprintf(ready, sizeof(ready), "%d/%zu", nready, p->spec.containers_nr);
  snprintf(name, sizeof(name), "pod/%s", o->meta.name);
  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  fprintf(c->f, "%-24s %-7s %-18s %-9d %-8s %-15s %s\n", name, ready,
          world_pod_status_column(o), restarts, age,
          p->status.pod_ip ? p->status.pod_ip : "<none>",
          p->spec.node_name ? p->spec.node_name : "<none>");
  return true;
}

static bool print_pvc(const struct object *o, void *arg)
{
  struct table_ctx *c = arg;
  const struct pvc *v = &o->u.pvc;
  char age[32], cap[32] = "", modes[32] = "", name[300];

  if (!c->header) {
    fprintf(c->f, "%-40s %-11s %-24s %-9s %-13s %-13s %s\n", "NAME", "STATUS",
            "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE");
    c->header = true;
  }
  if (v->status.phase == PVC_BOUND) {
    report__fmt_bytes(v->status.capacity_bytes, cap, sizeof(cap));
    report__fmt_modes(v->status.access_modes, modes, sizeof(modes));
  }
  snprintf(name, sizeof(name), "persistentvolumeclaim/%s", o->meta.name);
  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  fprintf(c->f, "%-40s %-11s %-24s %-9s %-13s %-13s %s\n", name,
          meta_is_deleting(&o->meta) ? "Terminating"
                                     : pvc_phase_name(v->status.phase),
          v->spec.volume_name ? v->spec.volume_name : "", cap, modes,
          v->spec.storage_class_name && *v->spec.storage_class_name
              ? v->spec.storage_class_name
              : "<unset>",
          age);
  return true;
}

static bool print_pv(const struct object *o, void *arg)
{
  struct table_ctx *c = arg;
  const struct pv *v = &o->u.pv;
  char age[32], cap[32], modes[32], name[300], claim[300] = "";
  static const char *const reclaim[] = {"Retain", "Delete", "Recycle"};

  if (!c->header) {
    fprintf(c->f, "%-36s %-9s %-13s %-15s %-10s %-28s %-13s %s\n", "NAME",
            "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM",
            "STORAGECLASS", "AGE");
    c->header = true;
  }
  report__fmt_bytes(v->spec.capacity_bytes, cap, sizeof(cap));
  report__fmt_modes(v->spec.access_modes, modes, sizeof(modes));
  if (v->spec.claim_ref.name)
    snprintf(claim, sizeof(claim), "%s/%s",
             v->spec.claim_ref.namespace_ ? v->spec.claim_ref.namespace_
                                          : "default",
             v->spec.claim_ref.name);
  snprintf(name, sizeof(name), "persistentvolume/%s", o->meta.name);
  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  fprintf(c->f, "%-36s %-9s %-13s %-15s %-10s %-28s %-13s %s\n", name, cap,
          modes, reclaim[v->spec.reclaim_policy],
          pv_phase_name(v->status.phase), claim,
          v->spec.storage_class_name && *v->spec.storage_class_name
              ? v->spec.storage_class_name
              : "",
          age);
  return true;
}

static bool print_node(const struct object *o, void *arg)
{
  struct table_ctx *c = arg;
  const struct node *nd = &o->u.node;
  char age[32], name[300], status[64];
  const char *zone = kv_get(&o->meta.labels, "topology.kubernetes.io/zone");

  if (!c->header) {
    fprintf(c->f, "%-24s %-34s %-8s %s\n", "NAME", "STATUS", "AGE", "ZONE");
    c->header = true;
  }
  snprintf(status, sizeof(status), "%s%s",
           nd->ready.status == COND_TRUE    ? "Ready"
           : nd->ready.status == COND_FALSE ? "NotReady"
                                            : "Unknown",
           nd->unschedulable ? ",SchedulingDisabled" : "");
  snprintf(name, sizeof(name), "node/%s", o->meta.name);
  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  fprintf(c->f, "%-24s %-34s %-8s %s\n", name, status, age,
          zone ? zone : "<none>");
  return true;
}

static void print_table(FILE *f, struct world *w, enum obj_kind k,
                        api_visit_fn *fn)
{
  struct table_ctx c = {f, w, world_end_time(w), false};

  api_list(world_api(w), k, NULL, NULL, fn, &c);
  if (c.header)
    fputc('\n', f);
}

static void print_timeline(FILE *f, struct world *w, enum report_detail detail)
{
  size_t nr;
  const struct timeline_entry *t = world_timeline(w, &nr);

  fprintf(f, "%-10s %-8s %-30s %-24s %s\n", "TIME", "TYPE", "OBJECT", "REASON",
          "MESSAGE");
  for (size_t i = 0; i < nr; i++) {
    char at[32];
    if (t[i].verbose && detail < REPORT_VERBOSE)
      continue;
    fmt_time(t[i].at, at, sizeof(at));
    fprintf(f, "%-10s %-8s %-30s %-24s %s\n", at,
            t[i].verbose                 ? "Trace"
            : t[i].type == EVENT_WARNING ? "Warning"
                                         : "Normal",
            t[i].object, t[i].reason, t[i].message);
  }
  fputc('\n', f);
}

static void print_verdicts(FILE *f, struct world *w)
{
  struct props *p = world_props(w);

  fprintf(f, "PROPERTIES\n");
  if (!props_count(p))
    fprintf(f, "  (none of the selected properties is built yet)\n");
  for (size_t i = 0; i < props_count(p); i++) {
    const struct prop_violation *first;
    uint64_t n = props_violations(p, i, &first);
    if (!n) {
      const struct prop_violation *h;
      if (props_hazards(p, i, &h)) {
        char hat[32];
        fmt_time(h->at, hat, sizeof(hat));
        fprintf(f, "  PASS  %s (hazard at %s: %s [%s])\n", props_name(p, i),
                hat, h->message, h->objects);
      } else {
        fprintf(f, "  PASS  %s\n", props_name(p, i));
      }
      continue;
    }
    char at[32];
    fmt_time(first->at, at, sizeof(at));
    fprintf(f, "  %s  %s at %s: %s [%s]%s\n",
            world_property_failed(w, i) ? "FAIL" : "FAIL (expected)",
            props_name(p, i), at, first->message, first->objects,
            n > 1 ? " (and more)" : "");
  }
}

void report__describe_expect(const struct expectation *e, char *buf, size_t n)
{
  static const char *const targets[] = {"statefulSet", "pod",      "pvc",  "pv",
                                        "node",        "property", "event"};
  size_t used = 0;

  if (e->target == EXPECT_PROPERTY) {
    snprintf(buf, n, "property %s %s%s", e->name,
             e->violated ? "violated" : "holds",
             !e->has_hazard ? ""
             : e->hazard    ? ", with a hazard"
                            : ", without a hazard");
    return;
  }
  if (e->target == EXPECT_EVENT)
    used += (size_t)snprintf(
        buf, n, "event %s%s%s", e->event_reason ? e->event_reason : "*",
        e->event_object ? " on " : "", e->event_object ? e->event_object : "");
  else
    used += (size_t)snprintf(buf, n, "%s %s", targets[e->target],
                             e->name ? e->name : "");
  if (used < n && e->becomes != WHEN_NONE)
    used += (size_t)snprintf(buf + used, n - used, " becomes %s",
                             when_state_name(e->becomes));
  if (used < n && e->never) {
    used += (size_t)snprintf(buf + used, n - used, " never");
  } else if (used < n && e->at_end) {
    used += (size_t)snprintf(buf + used, n - used, " at end");
  } else if (used < n && e->at != SIMTIME_NEVER) {
    char at[32];
    sim_format_duration(e->at, at, sizeof(at));
    used += (size_t)snprintf(buf + used, n - used, " at %s", at);
    if (used < n && e->tolerance) {
      char tol[32];
      sim_format_duration(e->tolerance, tol, sizeof(tol));
      used += (size_t)snprintf(buf + used, n - used, " +/-%s", tol);
    }
  }
  for (size_t i = 0; i < e->checks_nr && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", i ? ", " : ": ",
                             e->checks[i].field, e->checks[i].value);
}

static void print_expectations(FILE *f, struct world *w, bool only_unmet)
{
  size_t nr;
  const struct expect_result *r = world_expect_results(w, &nr);

  if (!nr)
    return;
  fprintf(f, "EXPECTATIONS\n");
  for (size_t i = 0; i < nr; i++) {
    char what[512];
    if (only_unmet && r[i].met)
      continue;
    report__describe_expect(r[i].e, what, sizeof(what));
    fprintf(f, "  %s  %s:%d: %s", r[i].met ? "MET  " : "UNMET",
            r[i].e->pos.file, r[i].e->pos.line, what);
    if (!r[i].met || r[i].e->becomes != WHEN_NONE ||
        r[i].e->target == EXPECT_EVENT)
      fprintf(f, " (%s)", r[i].detail);
    fputc('\n', f);
  }
}

void report_text(FILE *f, struct world *w, enum report_detail detail)
{
  const struct scenario *s = world_scenario(w);
  char end[32];

  fmt_time(world_end_time(w), end, sizeof(end));
  fprintf(f,
          "stsim %s: seed %" PRIu64 ", kubernetes 1.%d, simulated %s, "
          "digest %016" PRIx64 "\n\n",
          s->name, world_seed(w), s->kubernetes_minor, end, world_digest(w));
  if (detail > REPORT_QUIET) {
    print_timeline(f, w, detail);
    print_table(f, w, KIND_STATEFULSET, print_sts);
    print_table(f, w, KIND_POD, print_pod);
    print_table(f, w, KIND_PVC, print_pvc);
    print_table(f, w, KIND_PV, print_pv);
    print_table(f, w, KIND_NODE, print_node);
  }
  print_verdicts(f, w);
  print_expectations(f, w, detail == REPORT_QUIET);
  fprintf(f, "\nRESULT: %s\n", world_passed(w) ? "pass" : "fail");
}

/* --- JSON
 * ---------------------------------------------------------------------- */

static void js(FILE *f, const char *s)
{
  trace_json_string(f, s ? s : "");
}

static void json_ms(FILE *f, simtime t)
{
  fprintf(f, "%" PRId64, t / 1000);
}

struct json_ctx {
  FILE *f;
  struct world *w;
  bool first;
};

static void json_sep(struct json_ctx *c)
{
  fputs(c->first ? "\n    " : ",\n    ", c->f);
  c->first = false;
}

static bool json_sts(const struct object *o, void *arg)
{
  struct json_ctx *c = arg;
  const struct statefulset_status *st = &o->u.sts.status;

  json_sep(c);
  fputs("{\"name\": ", c->f);
  js(c->f, o->meta.name);
  fprintf(c->f,
          ", \"replicas\": %d, \"status\": {\"observedGeneration\": %" PRId64
          ", \"replicas\": %d, \"readyReplicas\": %d, \"currentReplicas\": "
          "%d, \"updatedReplicas\": %d, \"availableReplicas\": %d, "
          "\"currentRevision\": ",
          o->u.sts.spec.replicas, st->observed_generation, st->replicas,
          st->ready_replicas, st->current_replicas, st->updated_replicas,
          st->available_replicas);
  js(c->f, st->current_revision);
  fputs(", \"updateRevision\": ", c->f);
  js(c->f, st->update_revision);
  if (st->has_collision_count)
    fprintf(c->f, ", \"collisionCount\": %d", st->collision_count);
  fputs("}}", c->f);
  return true;
}

/* The ordinal a StatefulSet would read from a pod name, or -1. */
static int pod_ordinal(const char *name)
{
  const char *dash = strrchr(name, '-');
  long v = 0;

  if (!dash || !dash[1])
    return -1;
  for (const char *p = dash + 1; *p; p++) {
    if (*p < '0' || *p > '9' || v > 2147483647L / 10)
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v > 2147483647L ? -1 : (int)v;
}

static bool json_pod(const struct object *o, void *arg)
{
  struct json_ctx *c = arg;
  const struct pod *p = &o->u.pod;

  json_sep(c);
  fputs("{\"name\": ", c->f);
  js(c->f, o->meta.name);
  fputs(", \"phase\": ", c->f);
  js(c->f, pod_phase_name(p->status.phase));
  fprintf(c->f, ", \"ready\": %s, \"node\": ",
          p->status.ready.status == COND_TRUE ? "true" : "false");
  if (p->spec.node_name)
    js(c->f, p->spec.node_name);
  else
    fputs("null", c->f);
  fprintf(c->f, ", \"uid\": \"%016" PRIx64 "\", \"revision\": ", o->meta.uid);
  js(c->f, kv_get(&o->meta.labels, "controller-revision-hash"));
  fprintf(c->f, ", \"ordinal\": %d, \"deleting\": %s, \"status\": ",
          pod_ordinal(o->meta.name),
          meta_is_deleting(&o->meta) ? "true" : "false");
  js(c->f, world_pod_status_column(o));
  fputs(", \"ip\": ", c->f);
  js(c->f, p->status.pod_ip);
  fputs("}", c->f);
  return true;
}

static bool json_pvc(const struct object *o, void *arg)
{
  struct json_ctx *c = arg;

  json_sep(c);
  fputs("{\"name\": ", c->f);
  js(c->f, o->meta.name);
  fputs(", \"phase\": ", c->f);
  js(c->f, pvc_phase_name(o->u.pvc.status.phase));
  fputs(", \"volumeName\": ", c->f);
  js(c->f, o->u.pvc.spec.volume_name);
  fprintf(c->f, ", \"deleting\": %s}",
          meta_is_deleting(&o->meta) ? "true" : "false");
  return true;
}

struct va_json {
  FILE *f;
  const char *pv;
  bool any;
};

static bool json_va(const struct object *o, void *arg)
{
  struct va_json *c = arg;

  if (o->u.va.pv_name && !strcmp(o->u.va.pv_name, c->pv) && o->u.va.attached) {
    fputs(c->any ? ", " : "", c->f);
    js(c->f, o->u.va.node_name);
    c->any = true;
  }
  return true;
}

static bool json_pv(const struct object *o, void *arg)
{
  struct json_ctx *c = arg;
  struct va_json va = {c->f, o->meta.name, false};

  json_sep(c);
  fputs("{\"name\": ", c->f);
  js(c->f, o->meta.name);
  fputs(", \"phase\": ", c->f);
  js(c->f, pv_phase_name(o->u.pv.status.phase));
  fputs(", \"claim\": ", c->f);
  js(c->f, o->u.pv.spec.claim_ref.name);
  fputs(", \"attachedTo\": [", c->f);
  api_list(world_api(c->w), KIND_VOLUMEATTACHMENT, NULL, NULL, json_va, &va);
  fputs("]}", c->f);
  return true;
}

static bool json_node(const struct object *o, void *arg)
{
  struct json_ctx *c = arg;
  const struct node *nd = &o->u.node;

  json_sep(c);
  fputs("{\"name\": ", c->f);
  js(c->f, o->meta.name);
  fprintf(c->f, ", \"ready\": %s, \"state\": \"%s\", \"unschedulable\": %s}",
          nd->ready.status == COND_TRUE ? "true" : "false",
          nd->ready.status == COND_TRUE    ? "Ready"
          : nd->ready.status == COND_FALSE ? "NotReady"
                                           : "Unknown",
          nd->unschedulable ? "true" : "false");
  return true;
}

static void json_list(FILE *f, struct world *w, const char *key,
                      enum obj_kind k, api_visit_fn *fn, bool last)
{
  struct json_ctx c = {f, w, true};

  fprintf(f, "    \"%s\": [", key);
  api_list(world_api(w), k, NULL, NULL, fn, &c);
  fprintf(f, "%s]%s\n", c.first ? "" : "\n    ", last ? "" : ",");
}

static void json_properties(FILE *f, struct world *w)
{
  struct props *p = world_props(w);

  fputs(",\n  \"properties\": {", f);
  for (size_t i = 0; i < props_count(p); i++) {
    const struct prop_violation *v;
    uint64_t n = props_violations(p, i, &v);
    fprintf(f, "%s\n    ", i ? "," : "");
    js(f, props_name(p, i));
    fprintf(f,
            ": {\"status\": \"%s\", \"violations\": %" PRIu64
            ", \"expectedViolation\": %s",
            n ? "fail" : "pass", n,
            n && !world_property_failed(w, i) ? "true" : "false");
    const struct prop_violation *h;
    uint64_t nh = props_hazards(p, i, &h);
    if (nh) {
      fprintf(f,
              ", \"hazards\": %" PRIu64 ", \"firstHazard\": {\"timeMs\": ", nh);
      json_ms(f, h->at);
      fputs(", \"message\": ", f);
      js(f, h->message);
      fputs(", \"objects\": ", f);
      js(f, h->objects);
      fputs("}", f);
    }
    if (n) {
      fputs(", \"firstViolation\": {\"timeMs\": ", f);
      json_ms(f, v->at);
      fputs(", \"message\": ", f);
      js(f, v->message);
      fputs(", \"objects\": ", f);
      js(f, v->objects);
      fputs("}", f);
    }
    fputs("}", f);
  }
  fprintf(f, "%s}", props_count(p) ? "\n  " : "");
}

static void json_expectations(FILE *f, struct world *w)
{
  size_t nr;
  const struct expect_result *r = world_expect_results(w, &nr);

  fputs(",\n  \"expectations\": [", f);
  for (size_t i = 0; i < nr; i++) {
    char what[512];
    report__describe_expect(r[i].e, what, sizeof(what));
    fprintf(f, "%s\n    {\"line\": %d, \"what\": ", i ? "," : "",
            r[i].e->pos.line);
    js(f, what);
    fprintf(f, ", \"met\": %s, \"detail\": ", r[i].met ? "true" : "false");
    js(f, r[i].detail);
    fputs("}", f);
  }
  fprintf(f, "%s]", nr ? "\n  " : "");
}

static void json_events(FILE *f, struct world *w)
{
  size_t nr;
  const struct timeline_entry *t = world_timeline(w, &nr);
  bool first = true;

  fputs(",\n  \"events\": [", f);
  for (size_t i = 0; i < nr; i++) {
    if (t[i].verbose)
      continue;
    fprintf(f, "%s\n    {\"timeMs\": ", first ? "" : ",");
    first = false;
    json_ms(f, t[i].at);
    fprintf(f, ", \"type\": \"%s\", \"reason\": ",
            t[i].type == EVENT_WARNING ? "Warning" : "Normal");
    js(f, t[i].reason);
    fputs(", \"object\": ", f);
    js(f, t[i].object);
    fputs(", \"message\": ", f);
    js(f, t[i].message);
    fputs(", \"source\": ", f);
    js(f, t[i].source);
    fputs("}", f);
  }
  fprintf(f, "%s]", first ? "" : "\n  ");
}

void report_json(FILE *f, struct world *w)
{
  const struct scenario *s = world_scenario(w);

  fputs("{\n  \"scenario\": ", f);
  js(f, s->name);
  fprintf(f,
          ",\n  \"seed\": %" PRIu64 ",\n  \"kubernetesVersion\": \"1.%d\""
          ",\n  \"virtualTimeMs\": ",
          world_seed(w), s->kubernetes_minor);
  json_ms(f, world_end_time(w));
  fprintf(f, ",\n  \"digest\": \"%016" PRIx64 "\",\n  \"verdict\": \"%s\"",
          world_digest(w), world_passed(w) ? "pass" : "fail");
  json_properties(f, w);
  json_expectations(f, w);
  fputs(",\n  \"final\": {\n", f);
  json_list(f, w, "statefulSets", KIND_STATEFULSET, json_sts, false);
  json_list(f, w, "pods", KIND_POD, json_pod, false);
  json_list(f, w, "pvcs", KIND_PVC, json_pvc, false);
  json_list(f, w, "pvs", KIND_PV, json_pv, false);
  json_list(f, w, "nodes", KIND_NODE, json_node, true);
  fputs("  }", f);
  json_events(f, w);
  fputs("\n}\n", f);
}
