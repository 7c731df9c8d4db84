/*
 * test_report_html.c - the HTML report of `stsim run --report`: the
 * history recorder behind its picture (history.h), the file itself
 * (report_html: rows, markers, escaping, limits, determinism) and the
 * atomic write (report_file_*).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "history.h"
#include "props.h"
#include "report.h"
#include "scenario.h"
#include "world.h"

/* --- helpers
 * ------------------------------------------------------------------ */

static const char *const STS_FMT =
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: web}\n"
    "spec: {clusterIP: None, selector: {app: web}}\n"
    "---\n"
    "apiVersion: apps/v1\n"
    "kind: StatefulSet\n"
    "metadata: {name: web}\n"
    "spec:\n"
    "  serviceName: web\n"
    "  replicas: %d\n"
    "  podManagementPolicy: %s\n"
    "  selector: {matchLabels: {app: web}}\n"
    "  template:\n"
    "    metadata: {labels: {app: web}}\n"
    "    spec:\n"
    "      containers: [{name: app, image: \"%s\"}]\n"
    "---\n";

static const char *const SCENARIO_FMT =
    "apiVersion: stsim/v1alpha1\n"
    "kind: Scenario\n"
    "metadata:\n"
    "  name: %s\n"
    "  description: %s\n"
    "spec:\n"
    "  seed: 5\n"
    "  until: %s\n"
    "  cluster:\n"
    "    nodes: %d\n"
    "    images: {\"registry.example/broken:1\": {crashes: true}}\n"
    "%s";

/* A scenario: `replicas` pods of StatefulSet web (none when 0) on `nodes`
 * nodes, with extra Scenario spec text (actions, expectations). */
static char *scenario_text(int replicas, const char *policy, const char *image,
                           int nodes, const char *name, const char *desc,
                           const char *until, const char *extra)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  if (replicas > 0)
    fprintf(f, STS_FMT, replicas, policy, image);
  fprintf(f, SCENARIO_FMT, name, desc, until, nodes, extra);
  fclose(f);
  return buf;
}

struct run {
  struct scenario s;
  struct world *w;
};

static void run_start(struct run *r, const char *text, bool record)
{
  struct diag d = {0};
  struct world_opts o = {.record_history = record};

  if (scenario_load_string(&r->s, "t.yaml", text, strlen(text), &d))
    fail_msg("%s:%d:%d: %s", d.file, d.line, d.col, d.msg);
  r->w = world_new(&r->s, &o, &d);
  if (!r->w)
    fail_msg("%s", d.msg);
}

static char *run_finish(struct run *r, enum report_detail detail)
{
  char *html = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&html, &len);

  world_run(r->w);
  report_html(f, r->w, detail);
  fclose(f);
  world_free(r->w);
  scenario_release(&r->s);
  return html;
}

/* The report of one run of text. */
static char *report_of(const char *text, bool record)
{
  struct run r;

  run_start(&r, text, record);
  return run_finish(&r, REPORT_NORMAL);
}

static size_t count(const char *hay, const char *needle)
{
  size_t n = 0;

  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* Position of needle in hay, failing the test when absent. */
static size_t at(const char *hay, const char *needle)
{
  const char *p = strstr(hay, needle);

  if (!p)
    fail_msg("\"%s\" not found in the report", needle);
  return (size_t)(p - hay);
}

/* --- the history recorder
 * --------------------------------------------------------- */

static const struct hist_row *row_named(struct history *h, enum obj_kind k,
                                        const char *name)
{
  size_t nr;
  const struct hist_row *const *rows = history_rows(h, k, &nr);

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(rows[i]->name, name))
      return rows[i];
  return NULL;
}

static void set_pod(struct fixture *f, const char *name, const char *node,
                    enum pod_phase phase, bool ready)
{
  const struct object *cur = fixture_get(f, KIND_POD, name);
  struct object o = *cur;

  if (node && !cur->u.pod.spec.node_name) {
    o.u.pod.spec.node_name = node;
    assert_int_equal(api_update(f->api, "scheduler", &o, &cur), API_OK);
    o = *cur;
  }
  o.u.pod.status.phase = phase;
  o.u.pod.status.ready.status = ready ? COND_TRUE : COND_FALSE;
  assert_int_equal(api_update_status(f->api, "kubelet", &o, NULL), API_OK);
}

static void
a_pod_identity_keeps_one_row_with_a_life_per_incarnation_cut_by_state(
    void **state)
{
  struct fixture f;
  (void)state;

  fixture_init(&f, 2, 1);
  struct history *h = history_new(f.api);
  struct object pod = fixture_pod(&f, "web-0", NULL);
  fixture_create(&f, &pod);
  engine_advance(f.engine, SIM_SEC(1));
  set_pod(&f, "web-0", "node-2", POD_PENDING, false);
  engine_advance(f.engine, SIM_SEC(3));
  set_pod(&f, "web-0", NULL, POD_RUNNING, false);
  engine_advance(f.engine, SIM_SEC(5));
  set_pod(&f, "web-0", NULL, POD_RUNNING, true);
  engine_advance(f.engine, SIM_SEC(60));
  assert_int_equal(
      api_delete(f.api, "kubectl", KIND_POD, "default", "web-0", NULL), API_OK);
  engine_advance(f.engine, SIM_SEC(70));
  struct delete_opts now = DELETE_OPTS_DEFAULT;
  now.grace_seconds = 0;
  assert_int_equal(
      api_delete(f.api, "kubelet", KIND_POD, "default", "web-0", &now), API_OK);
  engine_advance(f.engine, SIM_SEC(80));
  fixture_create(&f, &pod); /* the replacement: a new uid, same row */

  const struct hist_row *r = row_named(h, KIND_POD, "web-0");
  assert_non_null(r);
  assert_int_equal(r->lives.nr, 2);
  const struct hist_life *l = &r->lives.v[0];
  assert_int_equal(l->created, 0);
  assert_int_equal(l->deleted, SIM_SEC(70));
  static const struct {
    simtime from;
    enum hist_pod_state state;
    const char *node;
  } want[] = {
      {0, HIST_POD_PENDING, NULL},
      {SIM_SEC(1), HIST_POD_CREATING, "node-2"},
      {SIM_SEC(3), HIST_POD_RUNNING, "node-2"},
      {SIM_SEC(5), HIST_POD_READY, "node-2"},
      {SIM_SEC(60), HIST_POD_TERMINATING, "node-2"},
  };
  assert_int_equal(l->spans.nr, 5);
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(l->spans.v[i].from, want[i].from);
    assert_int_equal(l->spans.v[i].state, want[i].state);
    if (want[i].node)
      assert_string_equal(l->spans.v[i].node, want[i].node);
    else
      assert_null(l->spans.v[i].node);
  }
  assert_string_equal(l->spans.v[4].detail, "Terminating");
  assert_int_equal(r->lives.v[1].created, SIM_SEC(80));
  assert_int_equal(r->lives.v[1].deleted, SIMTIME_NEVER);
  assert_true(r->lives.v[1].uid != l->uid);
  history_free(h);
  fixture_release(&f);
}

static void writes_that_change_nothing_drawn_add_no_span(void **state)
{
  struct fixture f;
  (void)state;

  fixture_init(&f, 1, 1);
  struct history *h = history_new(f.api);
  struct object pod = fixture_pod(&f, "web-0", NULL);
  fixture_create(&f, &pod);
  set_pod(&f, "web-0", "node-1", POD_RUNNING, true);
  for (int i = 1; i <= 5; i++) {
    engine_advance(f.engine, SIM_SEC(10 * i));
    const struct object *cur = fixture_get(&f, KIND_POD, "web-0");
    struct object o = *cur;
    o.u.pod.status.pod_ip = i % 2 ? "10.0.0.1" : "10.0.0.2";
    assert_int_equal(api_update_status(f.api, "kubelet", &o, NULL), API_OK);
    const struct object *n = fixture_get(&f, KIND_NODE, "node-1");
    o = *n;
    o.u.node.last_heartbeat = SIM_SEC(10 * i); /* a heartbeat */
    assert_int_equal(api_update_status(f.api, "kubelet", &o, NULL), API_OK);
  }
  const struct hist_row *r = row_named(h, KIND_POD, "web-0");
  /* Pending and Ready at time 0 collapse into the last: one span. */
  assert_int_equal(r->lives.v[0].spans.nr, 1);
  assert_int_equal(r->lives.v[0].spans.v[0].state, HIST_POD_READY);
  /* The node was created before the recorder: its first write opens it. */
  const struct hist_row *n = row_named(h, KIND_NODE, "node-1");
  assert_non_null(n);
  assert_int_equal(n->lives.nr, 1);
  assert_int_equal(n->lives.v[0].spans.nr, 1);
  history_free(h);
  fixture_release(&f);
}

static void a_node_row_shows_readiness_cordon_and_taints_over_time(void **state)
{
  struct fixture f;
  (void)state;

  fixture_init(&f, 1, 1);
  struct history *h = history_new(f.api);
  const struct object *n = fixture_get(&f, KIND_NODE, "node-1");
  struct object o = *n;
  engine_advance(f.engine, SIM_SEC(40));
  o.u.node.ready.status = COND_UNKNOWN;
  assert_int_equal(api_update_status(f.api, "node-lifecycle", &o, &n), API_OK);
  engine_advance(f.engine, SIM_SEC(45));
  o = *n;
  static const struct taint t[] = {
      {"node.kubernetes.io/unreachable", "", TAINT_NO_EXECUTE, 0},
      {"node.kubernetes.io/unschedulable", "", TAINT_NO_SCHEDULE, 0}};
  o.u.node.taints = t;
  o.u.node.taints_nr = 2;
  o.u.node.unschedulable = true;
  assert_int_equal(api_update(f.api, "node-lifecycle", &o, &n), API_OK);
  engine_advance(f.engine, SIM_SEC(50));
  assert_int_equal(api_delete(f.api, "kubectl", KIND_NODE, "", "node-1", NULL),
                   API_OK);

  const struct hist_row *r = row_named(h, KIND_NODE, "node-1");
  assert_int_equal(r->lives.nr, 1);
  const struct hist_life *l = &r->lives.v[0];
  assert_int_equal(l->spans.nr, 2);
  assert_int_equal(l->spans.v[0].from, SIM_SEC(40));
  assert_int_equal(l->spans.v[0].state, HIST_NODE_UNKNOWN);
  assert_string_equal(l->spans.v[0].detail, "");
  assert_false(l->spans.v[0].cordoned);
  assert_int_equal(l->spans.v[1].from, SIM_SEC(45));
  assert_true(l->spans.v[1].cordoned);
  assert_string_equal(l->spans.v[1].detail,
                      "node.kubernetes.io/unreachable:NoExecute, "
                      "node.kubernetes.io/unschedulable:NoSchedule");
  assert_int_equal(l->deleted, SIM_SEC(50));
  history_free(h);
  fixture_release(&f);
}

static void rows_come_in_ordinal_and_natural_name_order(void **state)
{
  struct fixture f;
  (void)state;

  fixture_init(&f, 11, 1);
  struct history *h = history_new(f.api);
  /* Created out of order; ordinals sort as numbers, not as text. */
  static const char *const names[] = {"web-10", "web-2", "web-1", "db-0"};
  for (size_t i = 0; i < 4; i++) {
    struct object pod = fixture_pod(&f, names[i], NULL);
    fixture_create(&f, &pod);
  }
  for (int i = 1; i <= 11; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i);
    struct object o = *fixture_get(&f, KIND_NODE, name);
    o.u.node.unschedulable = true;
    assert_int_equal(api_update(f.api, "kubectl", &o, NULL), API_OK);
  }
  size_t nr;
  const struct hist_row *const *rows = history_rows(h, KIND_POD, &nr);
  assert_int_equal(nr, 4);
  assert_string_equal(rows[0]->name, "db-0");
  assert_string_equal(rows[1]->name, "web-1");
  assert_string_equal(rows[2]->name, "web-2");
  assert_string_equal(rows[3]->name, "web-10");
  rows = history_rows(h, KIND_NODE, &nr);
  assert_int_equal(nr, 11);
  assert_string_equal(rows[1]->name, "node-2");
  assert_string_equal(rows[10]->name, "node-11");
  history_free(h);
  fixture_release(&f);
}

/* --- the report
 * ----------------------------------------------------------------- */

static void the_report_is_one_self_contained_html_file(void **state)
{
  (void)state;
  char *text = scenario_text(2, "OrderedReady", "registry.example/app:1", 2,
                             "small", "two pods", "5m", "");
  char *html = report_of(text, true);

  assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
  assert_string_equal(html + strlen(html) - 8, "</html>\n");
  assert_int_equal(count(html, "<svg "), 1);
  assert_int_equal(count(html, "<style>"), 1);
  /* Nothing fetched from outside: no scripts, links, images, imports. */
  assert_int_equal(count(html, "<script"), 0);
  assert_int_equal(count(html, "<link"), 0);
  assert_int_equal(count(html, "<img"), 0);
  assert_int_equal(count(html, "src="), 0);
  assert_int_equal(count(html, "@import"), 0);
  assert_int_equal(count(html, "url(http"), 0);
  /* The header. */
  at(html, "<th>Seed</th><td class=\"mono\">5</td>");
  at(html, "<th>Kubernetes</th><td>1.34</td>");
  at(html, "<th>Simulated</th><td>5m0s of virtual time");
  at(html, "<span class=\"badge pass\">PASS</span>");
  free(html);
  free(text);
}

static void the_picture_has_a_row_per_pod_ordinal_and_per_node(void **state)
{
  (void)state;
  char *text = scenario_text(2, "OrderedReady", "registry.example/app:1", 2,
                             "small", "two pods", "5m", "");
  char *html = report_of(text, true);

  /* Row labels, in order: pods by ordinal, then the nodes. */
  size_t p0 = at(html, "</title>web-0</text>");
  size_t p1 = at(html, "</title>web-1</text>");
  size_t n1 = at(html, "</title>node-1</text>");
  size_t n2 = at(html, "</title>node-2</text>");
  assert_true(p0 < p1 && p1 < n1 && n1 < n2);
  /* Each pod went Pending -> ContainerCreating -> Ready, on a node named
   * in its bar; each node stayed Ready. */
  assert_int_equal(count(html, "<rect class=\"life\""), 2);
  assert_true(count(html, "<rect class=\"p1\"") >= 2);
  assert_int_equal(count(html, "<rect class=\"p3\""), 2);
  at(html, "<title>web-0 #1: Ready on node-");
  assert_int_equal(count(html, "<text class=\"bt\""), 2);
  assert_int_equal(count(html, "<rect class=\"n0\""), 2);
  /* The axis is in Go durations. */
  at(html, ">1m0s</text>");
  at(html, ">5m0s</text>");
  free(html);
  free(text);
}

static void two_runs_give_byte_identical_files(void **state)
{
  (void)state;
  char *text = scenario_text(
      3, "OrderedReady", "registry.example/app:1", 3, "same", "again", "10m",
      "  actions:\n"
      "    - {at: 2m, action: delete-pod, pod: web-1}\n"
      "    - {at: 4m, action: set-image, statefulSet: web, image: "
      "\"registry.example/app:2\"}\n");
  char *a = report_of(text, true), *b = report_of(text, true);

  assert_int_equal(strlen(a), strlen(b));
  assert_string_equal(a, b);
  /* The runs did something worth drawing: replacements. */
  at(a, "web-1<tspan class=\"cnt\"> &#215;");
  free(a);
  free(b);
  free(text);
}

static void text_from_the_run_and_the_scenario_is_escaped(void **state)
{
  (void)state;
  char *text =
      scenario_text(1, "OrderedReady", "registry.example/app:1", 1,
                    "\"<script>alert(1)</script>\"", "\"a & b <i>c</i>\"", "3m",
                    "  actions:\n"
                    "    - {at: 1m, action: delete-pod, pod: \"<b>x</b>\"}\n");
  char *html = report_of(text, true);

  assert_int_equal(count(html, "<script"), 0);
  assert_int_equal(count(html, "<b>"), 0);
  assert_int_equal(count(html, "<i>"), 0);
  at(html, "<h1>stsim report: &lt;script&gt;alert(1)&lt;/script&gt;</h1>");
  at(html, "a &amp; b &lt;i&gt;c&lt;/i&gt;");
  /* The refused action's message names the pod, escaped, in the timeline
   * table and in the marker's hover text. */
  assert_true(count(html, "pods &quot;&lt;b&gt;x&lt;/b&gt;&quot; not found") >=
              2);
  free(html);
  free(text);
}

static void a_run_without_pods_still_gives_a_picture_of_the_nodes(void **state)
{
  (void)state;
  char *text = scenario_text(0, "", "", 2, "empty", "nothing", "1m", "");
  char *html = report_of(text, true);

  at(html, "(no pods)");
  at(html, "</title>node-1</text>");
  at(html, "</title>node-2</text>");
  assert_int_equal(count(html, "<rect class=\"life\""), 0);
  at(html, "<h3>Pods</h3>\n<p class=\"note\">None.</p>");
  free(html);
  free(text);
}

static void without_a_recorded_history_the_report_says_so(void **state)
{
  (void)state;
  char *text = scenario_text(1, "OrderedReady", "registry.example/app:1", 1,
                             "plain", "no history", "1m", "");
  char *html = report_of(text, false);

  at(html, "No history was recorded");
  assert_int_equal(count(html, "<svg"), 0);
  at(html, "<h2 id=\"properties\">Properties</h2>"); /* the rest is there */
  free(html);
  free(text);
}

static void actions_are_marked_on_the_picture_and_the_timeline(void **state)
{
  (void)state;
  char *text = scenario_text(
      2, "OrderedReady", "registry.example/app:1", 2, "marks", "actions", "5m",
      "  actions:\n"
      "    - {at: 2m, action: scale, statefulSet: web, replicas: 1}\n"
      "    - {at: 3m, action: delete-pod, pod: nope}\n");
  char *html = report_of(text, true);

  assert_int_equal(count(html, "<line class=\"ma\""), 2);
  at(html, "<text class=\"mat\"");
  at(html, ">scale</text>");
  at(html, ">delete-pod (failed)</text>");
  at(html, "<title>2m0s  StatefulSet/web: scale: scaled to 1 replicas");
  at(html, "<tr class=\"a\"><td class=\"t\">2m0s</td>");
  free(html);
  free(text);
}

/* A property that fails once, at the first check from 90s on: the report
 * marks it. */
static void fail_at_90s(struct prop_ctx *c, void *st)
{
  bool *done = st;

  if (*done || prop_now(c) < SIM_SEC(90))
    return;
  *done = true;
  prop_violate(c, "Pod/web-0", "web-0 <did> something & wrong");
}

static void a_violation_is_marked_and_listed_with_its_time(void **state)
{
  (void)state;
  static const struct property p = {.name = "test.fails",
                                    .meaning = "fails at 90s",
                                    .state_size = sizeof(bool),
                                    .after_event = fail_at_90s};
  /* The scale is the write after which the property fails (Leases do
   * not wake the checks). */
  char *text = scenario_text(
      1, "OrderedReady", "registry.example/app:1", 1, "violated", "a violation",
      "3m",
      "  actions:\n"
      "    - {at: 90s, action: scale, statefulSet: web, replicas: 2}\n");
  struct run r;

  run_start(&r, text, true);
  props_add(world_props(r.w), &p);
  char *html = run_finish(&r, REPORT_NORMAL);

  assert_int_equal(count(html, "<line class=\"mv\""), 1);
  at(html, ">test.fails</text>");
  at(html, "first violation of test.fails: web-0 &lt;did&gt; something "
           "&amp; wrong [Pod/web-0]");
  at(html, "<td class=\"fail\">FAIL</td><td class=\"t\">1m30s</td>");
  /* At the same instant as the action: the labels take two lanes. */
  assert_int_equal(count(html, "<line class=\"ma\""), 1);
  at(html, "<title>1m30s  StatefulSet/web: scale");
  at(html, "<span class=\"badge fail\">FAIL</span>");
  free(html);
  free(text);
}

static void a_crash_looping_container_is_hatched(void **state)
{
  (void)state;
  char *text = scenario_text(1, "OrderedReady", "registry.example/broken:1", 1,
                             "crash", "crash loop", "5m", "");
  char *html = report_of(text, true);

  assert_true(count(html, "fill=\"url(#trouble)\"") >= 1);
  at(html, "(STATUS CrashLoopBackOff)");
  free(html);
  free(text);
}

static void a_large_run_is_cut_at_the_row_limits(void **state)
{
  (void)state;
  int pods = REPORT_HTML_MAX_POD_ROWS + 7;
  int nodes = REPORT_HTML_MAX_NODE_ROWS + 3;
  char *text = scenario_text(pods, "Parallel", "registry.example/app:1", nodes,
                             "large", "many pods", "20s", "");
  char *html = report_of(text, true);

  assert_int_equal(count(html, "<text class=\"lbl\""),
                   REPORT_HTML_MAX_POD_ROWS + REPORT_HTML_MAX_NODE_ROWS);
  at(html, "... 7 more pods not drawn (the picture stops at 200 rows");
  at(html, "... 3 more nodes not drawn (the picture stops at 100 rows");
  /* The last pod drawn is ordinal 199, the nodes are in natural order. */
  at(html, "</title>web-199</text>");
  assert_int_equal(count(html, "</title>web-200</text>"), 0);
  assert_true(at(html, "</title>node-2</text>") <
              at(html, "</title>node-10</text>"));
  free(html);
  free(text);
}

static void decision_traces_appear_only_when_verbose(void **state)
{
  (void)state;
  char *text = scenario_text(1, "OrderedReady", "registry.example/app:1", 1,
                             "traces", "verbose", "1m", "");
  struct run r;

  char *normal = report_of(text, true);
  run_start(&r, text, true);
  char *verbose = run_finish(&r, REPORT_VERBOSE);
  assert_int_equal(count(normal, "<tr class=\"tr\">"), 0);
  assert_true(count(verbose, "<tr class=\"tr\">") > 0);
  free(normal);
  free(verbose);
  free(text);
}

/* --- atomic files
 * ------------------------------------------------------------------ */

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  char *buf = calloc(1, 4096);

  if (!f) {
    free(buf);
    return NULL;
  }
  size_t n = fread(buf, 1, 4095, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void a_report_file_replaces_its_target_only_when_committed(void **state)
{
  char dir[] = "/tmp/stsim-report-test-XXXXXX";
  char path[128], tmp[160];
  struct report_file rf;
  struct diag d = {0};
  (void)state;

  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/r.html", dir);
  FILE *old = fopen(path, "w");
  fputs("old", old);
  fclose(old);

  assert_int_equal(report_file_open(&rf, path, &d), 0);
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  assert_string_equal(rf.tmp, tmp);
  fputs("new report", rf.f);
  fflush(rf.f);
  char *mid = slurp(path);
  assert_string_equal(mid, "old"); /* untouched until the commit */
  free(mid);
  assert_int_equal(report_file_commit(&rf, &d), 0);
  char *done = slurp(path);
  assert_string_equal(done, "new report");
  free(done);
  assert_int_equal(access(tmp, F_OK), -1);

  /* A stale temporary (a killed run) is left alone: the next name. */
  FILE *stale = fopen(tmp, "w");
  fclose(stale);
  assert_int_equal(report_file_open(&rf, path, &d), 0);
  snprintf(tmp, sizeof(tmp), "%s.tmp1", path);
  assert_string_equal(rf.tmp, tmp);
  report_file_abort(&rf);
  assert_int_equal(access(tmp, F_OK), -1);
  char *kept = slurp(path);
  assert_string_equal(kept, "new report");
  free(kept);

  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  unlink(tmp);
  unlink(path);
  rmdir(dir);
}

static void an_unwritable_report_path_is_an_io_error(void **state)
{
  struct report_file rf;
  struct diag d = {0};
  (void)state;

  assert_int_equal(report_file_open(&rf, "/nonexistent-dir/sub/r.html", &d),
                   SIM_EIO);
  assert_non_null(strstr(d.msg, "cannot write '/nonexistent-dir/sub/r.html'"));
  assert_null(rf.f);
  /* A directory is refused at once, not after the run at the rename. */
  assert_int_equal(report_file_open(&rf, "/tmp", &d), SIM_EIO);
  assert_non_null(strstr(d.msg, "Is a directory"));
  assert_int_equal(report_file_open(&rf, "/tmp/", &d), SIM_EIO);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          a_pod_identity_keeps_one_row_with_a_life_per_incarnation_cut_by_state),
      cmocka_unit_test(writes_that_change_nothing_drawn_add_no_span),
      cmocka_unit_test(a_node_row_shows_readiness_cordon_and_taints_over_time),
      cmocka_unit_test(rows_come_in_ordinal_and_natural_name_order),
      cmocka_unit_test(the_report_is_one_self_contained_html_file),
      cmocka_unit_test(the_picture_has_a_row_per_pod_ordinal_and_per_node),
      cmocka_unit_test(two_runs_give_byte_identical_files),
      cmocka_unit_test(text_from_the_run_and_the_scenario_is_escaped),
      cmocka_unit_test(a_run_without_pods_still_gives_a_picture_of_the_nodes),
      cmocka_unit_test(without_a_recorded_history_the_report_says_so),
      cmocka_unit_test(actions_are_marked_on_the_picture_and_the_timeline),
      cmocka_unit_test(a_violation_is_marked_and_listed_with_its_time),
      cmocka_unit_test(a_crash_looping_container_is_hatched),
      cmocka_unit_test(a_large_run_is_cut_at_the_row_limits),
      cmocka_unit_test(decision_traces_appear_only_when_verbose),
      cmocka_unit_test(a_report_file_replaces_its_target_only_when_committed),
      cmocka_unit_test(an_unwritable_report_path_is_an_io_error),
  };

  return cmocka_run_group_tests_name("report_html", tests, NULL, NULL);
}
