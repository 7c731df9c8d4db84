/*
 * html.c - the self-contained HTML report of `stsim run --report`
 * (interface.md section 1), for a person learning what the cluster did:
 * a header, the timeline picture, then the verdicts, the expectations,
 * the timeline as a table and the final state.
 *
 * The picture is inline SVG drawn from the recorded history (history.h):
 * one row per pod identity (a StatefulSet ordinal keeps its row across
 * incarnations), each incarnation a bar from creation to removal, cut
 * into stretches of constant state and labelled with its node; one row
 * per node with its Ready condition, cordon and taints; vertical markers
 * for the scenario's actions and each property's first violation; an
 * axis in virtual time written as Go durations. Hover details are SVG
 * <title> elements: no script at all, no font or stylesheet from outside.
 *
 * Determinism (D7): the file depends only on the run. Positions are
 * integer arithmetic on virtual time, rows come sorted from the history,
 * tables from api_list (name order); nothing prints an address or reads a
 * clock. Everything from the run or the scenario goes through esc().
 *
 * The small formatters (AGE, sizes, access modes, expectation texts)
 * repeat report.c's, which keeps them private to the text report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "props.h"
#include "report.h"
#include "report_int.h"

/* --- text -------------------------------------------------------------------
 */

/* HTML-escapes s (NULL = ""); control characters become spaces. */
static void esc(FILE *f, const char *s)
{
  if (!s)
    return;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&':
      fputs("&amp;", f);
      break;
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    case '\'':
      fputs("&#39;", f);
      break;
    default:
      fputc(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c, f);
    }
  }
}

static void put_dur(FILE *f, simtime t)
{
  char buf[40];

  sim_format_duration(t, buf, sizeof(buf));
  fputs(buf, f);
}

/* --- colours and style
 * ---------------------------------------------------------- */

/* Pod states (enum hist_pod_state) and node states (enum hist_node_state):
 * a pod that is Ready and a node that is Ready share the green. */
static const char *const pod_colours[HIST_POD_STATE_COUNT] = {
    "#c5cbd3", "#8fb8de", "#f2c14e", "#3a9d5d", "#e07b39", "#7f7f7f"};
static const char *const node_colours[HIST_NODE_STATE_COUNT] = {
    "#3a9d5d", "#d64541", "#8e5bb5"};

#define COLOUR_ACTION "#1f5fbf"
#define COLOUR_VIOLATION "#b3261e"

static void put_style(FILE *f)
{
  fputs("<style>\n"
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
        "'Helvetica Neue',Arial,sans-serif;margin:24px;color:#1d1d1f;"
        "background:#fff;line-height:1.4}\n"
        "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 "
        "8px;border-bottom:1px solid #ddd;padding-bottom:3px}\n"
        "h3{font-size:14px;margin:16px 0 6px}\n"
        ".desc{white-space:pre-wrap;color:#444;margin:4px 0 12px}\n"
        "table{border-collapse:collapse;font-size:13px}\n"
        "th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top}\n"
        "table.grid th{border-bottom:1px solid #bbb;font-weight:600}\n"
        "table.grid td{border-bottom:1px solid #eee}\n"
        "table.kv th{color:#555;font-weight:normal;padding-right:16px}\n"
        "td.mono,.mono{font-family:ui-monospace,'SFMono-Regular',Menlo,"
        "Consolas,monospace;font-size:12px}\n"
        "td.o{white-space:nowrap}td.t{white-space:nowrap;font-family:ui-"
        "monospace,Menlo,Consolas,"
        "monospace;font-size:12px}\n"
        "tr.w td{background:#fff6dc}tr.a td{background:#e8f0fc}"
        "tr.tr td{color:#666;font-size:12px}\n"
        ".pass{color:#1e7b34;font-weight:600}.fail{color:#b3261e;"
        "font-weight:600}.xfail{color:#8a5a00;font-weight:600}\n"
        ".badge{display:inline-block;padding:1px 10px;border-radius:10px;"
        "color:#fff;font-weight:600}.badge.pass{background:#1e7b34;"
        "color:#fff}.badge.fail{background:#b3261e;color:#fff}\n"
        ".note{color:#666;font-size:12px;margin:4px 0}\n"
        ".nav{font-size:13px}.nav a{color:#1f5fbf}\n"
        ".meaning{color:#666;font-size:12px}\n"
        ".legend{font-size:12px;margin:6px 0 8px}.legend span{"
        "margin-right:14px;white-space:nowrap}\n"
        ".legend i{display:inline-block;width:14px;height:10px;"
        "margin-right:4px;vertical-align:-1px;border:1px solid #0003}\n"
        ".pic{overflow-x:auto;border:1px solid #ddd;padding:4px 0}"
        ".pic svg{display:block}\n"
        "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
        "Arial,sans-serif;font-size:11px;fill:#222}\n"
        "svg .lbl{font-size:12px}svg .cnt{fill:#888;font-size:10px}\n"
        "svg .sec{font-weight:600;font-size:12px}"
        "svg .ax{fill:#555;font-size:10px}\n"
        "svg .bt{pointer-events:none;paint-order:stroke;stroke:#fff;"
        "stroke-width:3px;stroke-linejoin:round}\n"
        "svg .grid{stroke:#e4e4e4}svg .axis{stroke:#999}\n"
        "svg .life{fill:none;stroke:#222;stroke-width:1}\n"
        "svg .bg{fill:#f6f7f9}svg .more{fill:#777;font-style:italic}\n"
        "svg .taint{fill:#333}\n",
        f);
  for (int i = 0; i < HIST_POD_STATE_COUNT; i++)
    fprintf(f, "svg .p%d{fill:%s}.legend i.p%d{background:%s}\n", i,
            pod_colours[i], i, pod_colours[i]);
  for (int i = 0; i < HIST_NODE_STATE_COUNT; i++)
    fprintf(f, "svg .n%d{fill:%s}.legend i.n%d{background:%s}\n", i,
            node_colours[i], i, node_colours[i]);
  fprintf(f,
          "svg .ma{stroke:%s;stroke-dasharray:4 3;stroke-width:1.5}"
          "svg .mat{fill:%s;font-size:10px}\n"
          "svg .mv{stroke:%s;stroke-width:2}"
          "svg .mvt{fill:%s;font-size:10px;font-weight:600}\n"
          ".legend i.ma{background:%s;width:3px}"
          ".legend i.mv{background:%s;width:3px}\n"
          ".legend i.hatch{background:repeating-linear-gradient(45deg,#3a9d5d,"
          "#3a9d5d 2px,#fff 2px,#fff 4px)}.legend i.taint{background:#333;"
          "height:3px;vertical-align:2px}\n"
          ".legend i.trouble{background:repeating-linear-gradient(-45deg,"
          "#f2c14e,#f2c14e 2px,#b3261e 2px,#b3261e 4px)}\n"
          "</style>\n",
          COLOUR_ACTION, COLOUR_ACTION, COLOUR_VIOLATION, COLOUR_VIOLATION,
          COLOUR_ACTION, COLOUR_VIOLATION);
}

/* --- the picture: geometry
 * ------------------------------------------------------- */

#define SVG_W 1200
#define PLOT_X 172 /* left of the plot; the row labels sit left of it */
#define PLOT_W 996
#define ROW_H 22
#define SEC_H 22 /* a section title row */
#define BAR_Y 3  /* bar offset in its row */
#define BAR_H 16
#define LANE_H 13 /* one line of marker labels */
#define MAX_LANES 4
#define LABEL_CHARS 24

/* Approximate advance of n characters of 11px sans text, in pixels. */
static int text_w(size_t n)
{
  return (int)(n * 13 / 2);
}

struct scale {
  simtime end; /* the right edge of the plot, > 0 */
  int div;     /* t and end divided by this first, against overflow */
};

static struct scale make_scale(simtime end)
{
  struct scale sc = {end > 0 ? end : SIM_SEC(1), 1};

  while (sc.end / sc.div > INT64_MAX / PLOT_W)
    sc.div *= 1000;
  return sc;
}

static int xpos(const struct scale *sc, simtime t)
{
  if (t < 0)
    t = 0;
  if (t > sc->end)
    t = sc->end;
  return PLOT_X + (int)((t / sc->div) * PLOT_W / (sc->end / sc->div));
}

/* A tick step giving at most 12 ticks, from a list of round durations. */
static simtime tick_step(simtime end)
{
  static const simtime steps[] = {
      SIM_MS(1),    SIM_MS(2),    SIM_MS(5),    SIM_MS(10),   SIM_MS(20),
      SIM_MS(50),   SIM_MS(100),  SIM_MS(200),  SIM_MS(500),  SIM_SEC(1),
      SIM_SEC(2),   SIM_SEC(5),   SIM_SEC(10),  SIM_SEC(15),  SIM_SEC(30),
      SIM_MIN(1),   SIM_MIN(2),   SIM_MIN(5),   SIM_MIN(10),  SIM_MIN(15),
      SIM_MIN(30),  SIM_MIN(60),  SIM_MIN(120), SIM_MIN(180), SIM_MIN(360),
      SIM_MIN(720), SIM_MIN(1440)};
  simtime s = SIM_MIN(1440);

  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
    if (end / steps[i] <= 12) {
      s = steps[i];
      break;
    }
  while (end / s > 12)
    s *= 2;
  return s;
}

/* --- the picture: markers
 * ------------------------------------------------------- */

struct marker {
  simtime at;
  bool violation;
  size_t seq;                        /* source order, the tie-break */
  const struct timeline_entry *line; /* an action */
  size_t prop;                       /* a violation: index in props */
  char label[64];
  int lane; /* -1: no room for the label (the line still has a title) */
  int lx;   /* label x */
  bool anchor_end;
};

static bool is_action_line(const struct timeline_entry *t)
{
  return !t->verbose && t->source && !strcmp(t->source, "stsim") &&
         (!strcmp(t->reason, "Action") || !strcmp(t->reason, "ActionFailed"));
}

static int cmp_markers(const void *pa, const void *pb)
{
  const struct marker *a = pa, *b = pb;

  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  if (a->violation != b->violation)
    return a->violation ? 1 : -1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct markers {
  struct marker *v;
  size_t nr;
  size_t dropped; /* beyond REPORT_HTML_MAX_MARKERS */
  int lanes;      /* lanes used by labels */
};

static void collect_markers(struct world *w, const struct scale *sc,
                            struct markers *m)
{
  size_t tl_nr;
  const struct timeline_entry *tl = world_timeline(w, &tl_nr);
  struct props *p = world_props(w);
  size_t cap = REPORT_HTML_MAX_MARKERS, seq = 0;

  *m = (struct markers){xcalloc(cap, sizeof(struct marker)), 0, 0, 0};
  for (size_t i = 0; i < props_count(p); i++) {
    const struct prop_violation *v;
    if (!props_violations(p, i, &v))
      continue;
    if (m->nr == cap) {
      m->dropped++;
      continue;
    }
    struct marker *k = &m->v[m->nr++];
    *k = (struct marker){
        .at = v->at, .violation = true, .seq = seq++, .prop = i};
    snprintf(k->label, sizeof(k->label), "%s", props_name(p, i));
  }
  for (size_t i = 0; i < tl_nr; i++) {
    if (!is_action_line(&tl[i]))
      continue;
    if (m->nr == cap) {
      m->dropped++;
      continue;
    }
    struct marker *k = &m->v[m->nr++];
    const char *msg = tl[i].message ? tl[i].message : "";
    size_t n = strcspn(msg, ":");
    *k = (struct marker){.at = tl[i].at, .seq = seq++, .line = &tl[i]};
    snprintf(k->label, sizeof(k->label), "%.*s%s", (int)(n < 40 ? n : 40), msg,
             strcmp(tl[i].reason, "ActionFailed") ? "" : " (failed)");
  }
  if (m->nr > 1)
    qsort(m->v, m->nr, sizeof(*m->v), cmp_markers);

  /* Labels go on the first lane where they do not overlap the previous
   * one; a marker with no free lane keeps its line and its hover title. */
  int lane_end[MAX_LANES];
  for (int l = 0; l < MAX_LANES; l++)
    lane_end[l] = -1000;
  for (size_t i = 0; i < m->nr; i++) {
    struct marker *k = &m->v[i];
    int x = xpos(sc, k->at), width = text_w(strlen(k->label)) + 4;
    int left = x + 3;
    k->anchor_end = left + width > SVG_W - 2;
    if (k->anchor_end)
      left = x - 3 - width;
    k->lx = k->anchor_end ? x - 3 : x + 3;
    k->lane = -1;
    for (int l = 0; l < MAX_LANES; l++)
      if (lane_end[l] < left) {
        k->lane = l;
        lane_end[l] = left + width;
        if (l + 1 > m->lanes)
          m->lanes = l + 1;
        break;
      }
  }
}

static void marker_title(FILE *f, struct world *w, const struct marker *k)
{
  fputs("<title>", f);
  put_dur(f, k->at);
  fputs("  ", f);
  if (k->violation) {
    const struct prop_violation *v;
    struct props *p = world_props(w);
    props_violations(p, k->prop, &v);
    fputs("first violation of ", f);
    esc(f, props_name(p, k->prop));
    fputs(": ", f);
    esc(f, v->message);
    if (v->objects[0]) {
      fputs(" [", f);
      esc(f, v->objects);
      fputs("]", f);
    }
  } else {
    esc(f, k->line->object);
    fputs(": ", f);
    esc(f, k->line->message);
  }
  fputs("</title>", f);
}

/* --- the picture: rows
 * ---------------------------------------------------------- */

struct pic {
  FILE *f;
  struct world *w;
  struct scale sc;
  simtime end;
  const struct hist_row *const *pods, *const *nodes;
  size_t pods_nr, nodes_nr; /* rows recorded */
  size_t pods_shown, nodes_shown;
  int top; /* y of the first row */
};

static simtime life_stop(const struct pic *p, const struct hist_life *l)
{
  return l->deleted == SIMTIME_NEVER ? p->end : l->deleted;
}

static void row_label(FILE *f, const struct hist_row *r, int y)
{
  bool ns = r->namespace_ && *r->namespace_ && strcmp(r->namespace_, "default");
  char name[LABEL_CHARS + 8];
  char full[600];

  snprintf(full, sizeof(full), "%s%s%s", ns ? r->namespace_ : "", ns ? "/" : "",
           r->name);
  size_t len = strlen(full);
  if (len > LABEL_CHARS) { /* names are ASCII (DNS labels) */
    memcpy(name, full, LABEL_CHARS - 3);
    memcpy(name + LABEL_CHARS - 3, "...", 4);
  } else {
    memcpy(name, full, len + 1);
  }
  fprintf(f, "<text class=\"lbl\" x=\"8\" y=\"%d\"><title>", y + 15);
  fputs(r->kind == KIND_POD ? "Pod " : "Node ", f);
  esc(f, full);
  if (r->kind == KIND_POD)
    fprintf(f, ": %zu incarnation%s", r->lives.nr, r->lives.nr == 1 ? "" : "s");
  fputs("</title>", f);
  esc(f, name);
  if (r->kind == KIND_POD && r->lives.nr > 1)
    fprintf(f, "<tspan class=\"cnt\"> &#215;%zu</tspan>", r->lives.nr);
  fputs("</text>\n", f);
}

static void span_title(FILE *f, const struct hist_row *r, size_t life,
                       const struct hist_span *sp, simtime from, simtime to)
{
  fputs("<title>", f);
  esc(f, r->name);
  if (r->kind == KIND_POD) {
    fprintf(f, " #%zu: %s", life + 1,
            history_pod_state_name((enum hist_pod_state)sp->state));
    if (sp->node) {
      fputs(" on ", f);
      esc(f, sp->node);
    }
    if (sp->detail && *sp->detail) {
      fputs(" (STATUS ", f);
      esc(f, sp->detail);
      fputs(")", f);
    }
  } else {
    fputs(": ", f);
    fputs(history_node_state_name((enum hist_node_state)sp->state), f);
    if (sp->cordoned)
      fputs(", SchedulingDisabled", f);
    if (sp->detail && *sp->detail) {
      fputs("; taints ", f);
      esc(f, sp->detail);
    }
  }
  fputs(", ", f);
  put_dur(f, from);
  fputs(" to ", f);
  put_dur(f, to);
  fputs(" (", f);
  put_dur(f, to - from);
  fputs(")</title>", f);
}

/*
 * Whether kubectl's STATUS says a container is failing rather than on its
 * way: CrashLoopBackOff, ErrImagePull, ImagePullBackOff,
 * CreateContainerConfigError, RunContainerError, Error, OOMKilled; or
 * that the pod was lost with its node (NodeLost shows as Unknown).
 */
static bool is_trouble(const char *status)
{
  return status && (strstr(status, "BackOff") || strstr(status, "Err") ||
                    !strcmp(status, "OOMKilled") || !strcmp(status, "Unknown"));
}

static void draw_pod_life(struct pic *p, const struct hist_row *r, size_t li,
                          int y)
{
  FILE *f = p->f;
  const struct hist_life *l = &r->lives.v[li];
  simtime stop = life_stop(p, l);
  int x0 = xpos(&p->sc, l->created), x1 = xpos(&p->sc, stop);

  for (size_t j = 0; j < l->spans.nr; j++) {
    const struct hist_span *sp = &l->spans.v[j];
    simtime to = j + 1 < l->spans.nr ? l->spans.v[j + 1].from : stop;
    int a = xpos(&p->sc, sp->from), b = xpos(&p->sc, to);
    if (b <= a)
      continue;
    fprintf(f,
            "<rect class=\"p%d\" x=\"%d\" y=\"%d\" width=\"%d\" "
            "height=\"%d\">",
            sp->state, a, y + BAR_Y, b - a, BAR_H);
    span_title(f, r, li, sp, sp->from, to);
    fputs("</rect>\n", f);
    if (is_trouble(sp->detail))
      fprintf(f,
              "<rect fill=\"url(#trouble)\" x=\"%d\" y=\"%d\" "
              "width=\"%d\" height=\"%d\" pointer-events=\"none\"/>\n",
              a, y + BAR_Y, b - a, BAR_H);
  }
  /* The outline makes each incarnation a bar of its own, even a brief
   * one, and separates a replacement from its predecessor. */
  fprintf(f,
          "<rect class=\"life\" x=\"%d.5\" y=\"%d.5\" width=\"%d\" "
          "height=\"%d\"><title>",
          x0, y + BAR_Y, x1 - x0 > 2 ? x1 - x0 : 2, BAR_H - 1);
  esc(f, r->name);
  fprintf(f, " incarnation #%zu, uid %016" PRIx64 ": created ", li + 1, l->uid);
  put_dur(f, l->created);
  if (l->deleted != SIMTIME_NEVER) {
    fputs(", removed ", f);
    put_dur(f, l->deleted);
  } else {
    fputs(", still there at the end", f);
  }
  fputs("</title></rect>\n", f);
  /* The node it ran on, where it was bound, if the name fits. */
  for (size_t j = 0; j < l->spans.nr; j++) {
    const struct hist_span *sp = &l->spans.v[j];
    if (!sp->node || !*sp->node)
      continue;
    int tx = xpos(&p->sc, sp->from) + 3;
    if (text_w(strlen(sp->node)) <= x1 - tx - 2) {
      fprintf(f, "<text class=\"bt\" x=\"%d\" y=\"%d\">", tx, y + 15);
      esc(f, sp->node);
      fputs("</text>\n", f);
    }
    break;
  }
}

/* "node.kubernetes.io/unreachable:NoExecute" -> "unreachable:NoExecute". */
static void short_taints(const char *full, char *buf, size_t n)
{
  static const char prefix[] = "node.kubernetes.io/";
  size_t used = 0;

  buf[0] = '\0';
  while (*full && used + 1 < n) {
    if (!strncmp(full, prefix, sizeof(prefix) - 1))
      full += sizeof(prefix) - 1;
    buf[used++] = *full++;
  }
  buf[used] = '\0';
}

static void draw_node_life(struct pic *p, const struct hist_row *r, size_t li,
                           int y)
{
  FILE *f = p->f;
  const struct hist_life *l = &r->lives.v[li];
  simtime stop = life_stop(p, l);

  for (size_t j = 0; j < l->spans.nr; j++) {
    const struct hist_span *sp = &l->spans.v[j];
    simtime to = j + 1 < l->spans.nr ? l->spans.v[j + 1].from : stop;
    int a = xpos(&p->sc, sp->from), b = xpos(&p->sc, to);
    bool tainted = sp->detail && *sp->detail;
    if (b <= a)
      continue;
    fprintf(f,
            "<rect class=\"n%d\" x=\"%d\" y=\"%d\" width=\"%d\" "
            "height=\"%d\">",
            sp->state, a, y + BAR_Y, b - a, BAR_H - 4);
    span_title(f, r, li, sp, sp->from, to);
    fputs("</rect>\n", f);
    if (sp->cordoned)
      fprintf(f,
              "<rect fill=\"url(#hatch)\" x=\"%d\" y=\"%d\" width=\"%d\" "
              "height=\"%d\" pointer-events=\"none\"/>\n",
              a, y + BAR_Y, b - a, BAR_H - 4);
    if (tainted) {
      fprintf(f,
              "<rect class=\"taint\" x=\"%d\" y=\"%d\" width=\"%d\" "
              "height=\"3\">",
              a, y + BAR_Y + BAR_H - 2, b - a);
      span_title(f, r, li, sp, sp->from, to);
      fputs("</rect>\n", f);
    }
    if (sp->state == HIST_NODE_READY && !tainted && !sp->cordoned)
      continue;
    char text[300], st[256];
    short_taints(sp->detail ? sp->detail : "", st, sizeof(st));
    snprintf(text, sizeof(text), "%s%s%s%s",
             history_node_state_name((enum hist_node_state)sp->state),
             sp->cordoned ? ", cordoned" : "", tainted ? " | " : "", st);
    size_t len = strlen(text);
    if (text_w(len) > b - a - 5) /* try without the taints */
      len = strcspn(text, "|");
    while (len && text[len - 1] == ' ')
      len--;
    if (text_w(len) <= b - a - 5 && len) {
      fprintf(f, "<text class=\"bt\" x=\"%d\" y=\"%d\">", a + 3, y + 13);
      text[len] = '\0';
      esc(f, text);
      fputs("</text>\n", f);
    }
  }
}

/* Row y positions: a section title, its rows (plus a "more" line), the
 * next section. */
static int pods_top(const struct pic *p)
{
  return p->top + SEC_H;
}

static bool pods_more(const struct pic *p)
{
  return p->pods_shown < p->pods_nr || !p->pods_nr;
}

static int nodes_title_y(const struct pic *p)
{
  return pods_top(p) + (int)p->pods_shown * ROW_H + (pods_more(p) ? ROW_H : 0);
}

static int nodes_top(const struct pic *p)
{
  return nodes_title_y(p) + SEC_H;
}

static bool nodes_more(const struct pic *p)
{
  return p->nodes_shown < p->nodes_nr || !p->nodes_nr;
}

static int rows_bottom(const struct pic *p)
{
  return nodes_top(p) + (int)p->nodes_shown * ROW_H +
         (nodes_more(p) ? ROW_H : 0);
}

static void draw_axis_labels(struct pic *p, int y, simtime step)
{
  simtime last = 0;

  for (simtime t = 0; t <= p->end; t += step) {
    int x = xpos(&p->sc, t);
    fprintf(p->f, "<text class=\"ax\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">", x,
            y, t == 0 ? "start" : "middle");
    put_dur(p->f, t);
    fputs("</text>\n", p->f);
    last = t;
  }
  /* The end of the run, unless a tick label is there already. */
  if (xpos(&p->sc, p->end) - xpos(&p->sc, last) >= 45) {
    fprintf(p->f,
            "<text class=\"ax\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
            xpos(&p->sc, p->end), y);
    put_dur(p->f, p->end);
    fputs("</text>\n", p->f);
  }
}

static void more_line(FILE *f, int y, size_t shown, size_t nr, const char *what,
                      int limit)
{
  if (!nr)
    fprintf(f, "<text class=\"more\" x=\"8\" y=\"%d\">(no %s)</text>\n", y + 15,
            what);
  else
    fprintf(f,
            "<text class=\"more\" x=\"8\" y=\"%d\">... %zu more %s not drawn "
            "(the picture stops at %d rows; the tables below list them)"
            "</text>\n",
            y + 15, nr - shown, what, limit);
}

static void draw_picture(FILE *f, struct world *w, struct history *h)
{
  struct pic p = {.f = f, .w = w};
  struct markers m;

  p.end = world_end_time(w);
  p.sc = make_scale(p.end);
  if (p.end <= 0)
    p.end = p.sc.end;
  p.pods = history_rows(h, KIND_POD, &p.pods_nr);
  /* history_rows reuses one array: keep a copy of the pod rows. */
  const struct hist_row **pods =
      xmalloc((p.pods_nr ? p.pods_nr : 1) * sizeof(*pods));
  if (p.pods_nr)
    memcpy(pods, p.pods, p.pods_nr * sizeof(*pods));
  p.pods = pods;
  p.nodes = history_rows(h, KIND_NODE, &p.nodes_nr);
  p.pods_shown = p.pods_nr < REPORT_HTML_MAX_POD_ROWS
                     ? p.pods_nr
                     : REPORT_HTML_MAX_POD_ROWS;
  p.nodes_shown = p.nodes_nr < REPORT_HTML_MAX_NODE_ROWS
                      ? p.nodes_nr
                      : REPORT_HTML_MAX_NODE_ROWS;
  collect_markers(w, &p.sc, &m);

  simtime step = tick_step(p.end);
  int lanes_h = m.lanes * LANE_H;
  p.top = 6 + lanes_h + 18;
  int bottom = rows_bottom(&p);
  bool bottom_axis = p.pods_shown + p.nodes_shown > 12;
  int height = bottom + (bottom_axis ? 22 : 6);

  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
          "aria-label=\"timeline\">\n",
          SVG_W, height, SVG_W, height);
  fputs("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" "
        "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        "<rect width=\"2.5\" height=\"6\" fill=\"#fff\" "
        "fill-opacity=\"0.75\"/></pattern>\n<pattern id=\"trouble\" "
        "width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(-45)\"><rect width=\"2.5\" "
        "height=\"6\" fill=\"#b3261e\" fill-opacity=\"0.8\"/></pattern>"
        "</defs>\n",
        f);

  /* 1. Row stripes, labels and section titles. */
  fprintf(f,
          "<text class=\"sec\" x=\"8\" y=\"%d\">Pods (one row per "
          "identity)</text>\n",
          p.top + 15);
  for (size_t i = 0; i < p.pods_shown; i++) {
    int y = pods_top(&p) + (int)i * ROW_H;
    if (i % 2 == 0)
      fprintf(f,
              "<rect class=\"bg\" x=\"0\" y=\"%d\" width=\"%d\" "
              "height=\"%d\"/>\n",
              y, SVG_W, ROW_H);
    row_label(f, p.pods[i], y);
  }
  if (pods_more(&p))
    more_line(f, pods_top(&p) + (int)p.pods_shown * ROW_H, p.pods_shown,
              p.pods_nr, "pods", REPORT_HTML_MAX_POD_ROWS);
  fprintf(f, "<text class=\"sec\" x=\"8\" y=\"%d\">Nodes</text>\n",
          nodes_title_y(&p) + 15);
  for (size_t i = 0; i < p.nodes_shown; i++) {
    int y = nodes_top(&p) + (int)i * ROW_H;
    if (i % 2 == 0)
      fprintf(f,
              "<rect class=\"bg\" x=\"0\" y=\"%d\" width=\"%d\" "
              "height=\"%d\"/>\n",
              y, SVG_W, ROW_H);
    row_label(f, p.nodes[i], y);
  }
  if (nodes_more(&p))
    more_line(f, nodes_top(&p) + (int)p.nodes_shown * ROW_H, p.nodes_shown,
              p.nodes_nr, "nodes", REPORT_HTML_MAX_NODE_ROWS);

  /* 2. The time axis and its grid. */
  fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
          PLOT_X, p.top - 2, PLOT_X + PLOT_W, p.top - 2);
  for (simtime t = 0; t <= p.end; t += step) {
    int x = xpos(&p.sc, t);
    fprintf(f,
            "<line class=\"grid\" x1=\"%d.5\" y1=\"%d\" x2=\"%d.5\" "
            "y2=\"%d\"/>\n",
            x, p.top - 2, x, bottom);
  }
  draw_axis_labels(&p, p.top - 6, step);
  if (bottom_axis)
    draw_axis_labels(&p, bottom + 14, step);

  /* 3. The bars. */
  for (size_t i = 0; i < p.pods_shown; i++)
    for (size_t j = 0; j < p.pods[i]->lives.nr; j++)
      draw_pod_life(&p, p.pods[i], j, pods_top(&p) + (int)i * ROW_H);
  for (size_t i = 0; i < p.nodes_shown; i++)
    for (size_t j = 0; j < p.nodes[i]->lives.nr; j++)
      draw_node_life(&p, p.nodes[i], j, nodes_top(&p) + (int)i * ROW_H);

  /* 4. Markers on top: actions dashed blue, first violations red. */
  for (size_t i = 0; i < m.nr; i++) {
    const struct marker *k = &m.v[i];
    int x = xpos(&p.sc, k->at);
    fprintf(f, "<g>");
    marker_title(f, w, k);
    fprintf(f, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
            k->violation ? "mv" : "ma", x,
            k->lane >= 0 ? 6 + k->lane * LANE_H : p.top - 2, x, bottom);
    if (k->lane >= 0) {
      fprintf(f, "<text class=\"%s\" x=\"%d\" y=\"%d\"%s>",
              k->violation ? "mvt" : "mat", k->lx,
              6 + (k->lane + 1) * LANE_H - 3,
              k->anchor_end ? " text-anchor=\"end\"" : "");
      esc(f, k->label);
      fputs("</text>", f);
    }
    fputs("</g>\n", f);
  }
  fputs("</svg>\n", f);
  if (m.dropped)
    fprintf(f,
            "<p class=\"note\">%zu more markers not drawn (the picture stops "
            "at %d).</p>\n",
            m.dropped, REPORT_HTML_MAX_MARKERS);
  free(m.v);
  free(pods);
}

static void put_legend(FILE *f)
{
  fputs("<div class=\"legend\">Pods: ", f);
  for (int i = 0; i < HIST_POD_STATE_COUNT; i++)
    fprintf(f, "<span><i class=\"p%d\"></i>%s</span>", i,
            history_pod_state_name((enum hist_pod_state)i));
  fputs("<span><i class=\"trouble\"></i>a container failing "
        "(CrashLoopBackOff, ErrImagePull, ...)</span><br>Nodes: ",
        f);
  for (int i = 0; i < HIST_NODE_STATE_COUNT; i++)
    fprintf(f, "<span><i class=\"n%d\"></i>%s</span>", i,
            history_node_state_name((enum hist_node_state)i));
  fputs("<span><i class=\"hatch\"></i>cordoned</span>"
        "<span><i class=\"taint\"></i>tainted</span>"
        "<br>Markers: <span><i class=\"ma\"></i>scenario action</span>"
        "<span><i class=\"mv\"></i>first violation of a property</span>"
        "<span>(hover over anything for details)</span></div>\n",
        f);
}

/* --- header, verdicts, expectations
 * ------------------------------------------- */

static void put_header(FILE *f, struct world *w)
{
  const struct scenario *s = world_scenario(w);
  bool pass = world_passed(w);

  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\">\n<title>stsim: ",
        f);
  esc(f, s->name);
  fprintf(f, " (seed %" PRIu64 ")</title>\n", world_seed(w));
  put_style(f);
  fputs("</head>\n<body>\n<h1>stsim report: ", f);
  esc(f, s->name);
  fputs("</h1>\n", f);
  if (s->description && *s->description) {
    fputs("<div class=\"desc\">", f);
    esc(f, s->description);
    fputs("</div>\n", f);
  }
  fputs("<table class=\"kv\">\n<tr><th>Scenario</th><td>", f);
  esc(f, s->name);
  fprintf(f,
          "</td></tr>\n<tr><th>Seed</th><td class=\"mono\">%" PRIu64
          "</td></tr>\n<tr><th>Kubernetes</th><td>1.%d</td></tr>\n"
          "<tr><th>Simulated</th><td>",
          world_seed(w), s->kubernetes_minor);
  put_dur(f, world_end_time(w));
  fprintf(f,
          " of virtual time</td></tr>\n<tr><th>Digest</th><td "
          "class=\"mono\">%016" PRIx64 "</td></tr>\n<tr><th>Verdict</th>"
          "<td><span class=\"badge %s\">%s</span></td></tr>\n</table>\n",
          world_digest(w), pass ? "pass" : "fail", pass ? "PASS" : "FAIL");
  fputs("<p class=\"nav\"><a href=\"#picture\">Timeline picture</a> &#183; "
        "<a href=\"#properties\">Properties</a> &#183; <a "
        "href=\"#expectations\">Expectations</a> &#183; <a "
        "href=\"#timeline\">Timeline</a> &#183; <a href=\"#final\">Final "
        "state</a></p>\n",
        f);
}

static void put_verdicts(FILE *f, struct world *w)
{
  struct props *p = world_props(w);

  fputs("<h2 id=\"properties\">Properties</h2>\n", f);
  if (!props_count(p)) {
    fputs("<p class=\"note\">No property was checked.</p>\n", f);
    return;
  }
  fputs("<table class=\"grid\">\n<tr><th>Property</th><th>Verdict</th>"
        "<th>First violation</th><th>Message</th><th>Objects</th>"
        "<th>Count</th></tr>\n",
        f);
  for (size_t i = 0; i < props_count(p); i++) {
    const struct prop_violation *v;
    uint64_t n = props_violations(p, i, &v);
    const struct property_info *pi = props_find(props_name(p, i));
    fputs("<tr><td><span class=\"mono\">", f);
    esc(f, props_name(p, i));
    fputs("</span>", f);
    if (pi && pi->meaning) {
      fputs("<br><span class=\"meaning\">", f);
      esc(f, pi->meaning);
      fputs("</span>", f);
    }
    fputs("</td>", f);
    if (!n) {
      fputs("<td class=\"pass\">PASS</td><td></td><td></td><td></td>"
            "<td></td></tr>\n",
            f);
      continue;
    }
    bool failed = world_property_failed(w, i);
    fprintf(f, "<td class=\"%s\">%s</td><td class=\"t\">",
            failed ? "fail" : "xfail", failed ? "FAIL" : "FAIL (expected)");
    put_dur(f, v->at);
    fputs("</td><td>", f);
    esc(f, v->message);
    fputs("</td><td class=\"mono\">", f);
    esc(f, v->objects);
    fprintf(f, "</td><td>%" PRIu64 "</td></tr>\n", n);
  }
  fputs("</table>\n", f);
}

static void put_expectations(FILE *f, struct world *w)
{
  size_t nr;
  const struct expect_result *r = world_expect_results(w, &nr);

  fputs("<h2 id=\"expectations\">Expectations</h2>\n", f);
  if (!nr) {
    fputs("<p class=\"note\">The scenario states no expectations.</p>\n", f);
    return;
  }
  fputs("<table class=\"grid\">\n<tr><th>Result</th><th>Where</th>"
        "<th>Expectation</th><th>Seen</th></tr>\n",
        f);
  for (size_t i = 0; i < nr; i++) {
    char what[512];
    report__describe_expect(r[i].e, what, sizeof(what));
    fprintf(f, "<tr><td class=\"%s\">%s</td><td class=\"mono\">",
            r[i].met ? "pass" : "fail", r[i].met ? "MET" : "UNMET");
    esc(f, r[i].e->pos.file);
    fprintf(f, ":%d</td><td>", r[i].e->pos.line);
    esc(f, what);
    fputs("</td><td>", f);
    esc(f, r[i].detail);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
}

/* --- the timeline table
 * --------------------------------------------------------- */

static void put_events(FILE *f, struct world *w, enum report_detail detail)
{
  size_t nr, shown = 0, total = 0;
  const struct timeline_entry *t = world_timeline(w, &nr);

  fputs("<h2 id=\"timeline\">Timeline</h2>\n", f);
  for (size_t i = 0; i < nr; i++)
    total += !t[i].verbose || detail >= REPORT_VERBOSE;
  if (!total) {
    fputs("<p class=\"note\">Nothing happened.</p>\n", f);
    return;
  }
  fputs("<table class=\"grid\">\n<tr><th>Time</th><th>Type</th>"
        "<th>Object</th><th>Reason</th><th>Message</th></tr>\n",
        f);
  for (size_t i = 0; i < nr && shown < REPORT_HTML_MAX_EVENTS; i++) {
    const struct timeline_entry *e = &t[i];
    if (e->verbose && detail < REPORT_VERBOSE)
      continue;
    shown++;
    const char *cls = e->verbose                 ? " class=\"tr\""
                      : is_action_line(e)        ? " class=\"a\""
                      : e->type == EVENT_WARNING ? " class=\"w\""
                                                 : "";
    fprintf(f, "<tr%s><td class=\"t\">", cls);
    put_dur(f, e->at);
    fprintf(f, "</td><td>%s</td><td class=\"mono o\">",
            e->verbose                 ? "Trace"
            : e->type == EVENT_WARNING ? "Warning"
                                       : "Normal");
    esc(f, e->object);
    fputs("</td><td>", f);
    esc(f, e->reason);
    fputs("</td><td>", f);
    esc(f, e->message);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
  if (shown < total)
    fprintf(f,
            "<p class=\"note\">... %zu more lines not shown (the table stops "
            "at %d; <code>stsim run --output json</code> has them all).</p>\n",
            total - shown, REPORT_HTML_MAX_EVENTS);
}

/* --- final state
 * ------------------------------------------------------------------ */

struct tab {
  FILE *f;
  struct world *w;
  simtime now;
  size_t n;
};

static void td(FILE *f, const char *s)
{
  fputs("<td>", f);
  esc(f, s);
  fputs("</td>", f);
}

static void td_age(struct tab *c, const struct object *o)
{
  char age[32];

  report__fmt_age(c->now - o->meta.creation_timestamp, age, sizeof(age));
  td(c->f, age);
}

static bool tab_sts(const struct object *o, void *arg)
{
  struct tab *c = arg;
  const struct statefulset_status *st = &o->u.sts.status;
  char ready[32];

  snprintf(ready, sizeof(ready), "%d/%d", st->ready_replicas,
           o->u.sts.spec.replicas);
  fputs("<tr>", c->f);
  td(c->f, o->meta.name);
  td(c->f, ready);
  td_age(c, o);
  td(c->f, st->current_revision ? st->current_revision : "<none>");
  td(c->f, st->update_revision ? st->update_revision : "<none>");
  fputs("</tr>\n", c->f);
  return ++c->n < REPORT_HTML_MAX_TABLE_ROWS;
}

static bool tab_pod(const struct object *o, void *arg)
{
  struct tab *c = arg;
  const struct pod *p = &o->u.pod;
  char ready[32], restarts[16];
  int nready = 0, nrestarts = 0;

  for (size_t i = 0; i < p->status.containers_nr; i++) {
    nready += p->status.containers[i].ready;
    nrestarts += p->status.containers[i].restart_count;
  }
  snprintf(ready, sizeof(ready), "%d/%zu", nready, p->spec.containers_nr);
  snprintf(restarts, sizeof(restarts), "%d", nrestarts);
  fputs("<tr>", c->f);
  td(c->f, o->meta.name);
  td(c->f, ready);
  td(c->f, world_pod_status_column(o));
  td(c->f, restarts);
  td_age(c, o);
  td(c->f, p->status.pod_ip ? p->status.pod_ip : "<none>");
  td(c->f, p->spec.node_name ? p->spec.node_name : "<none>");
  fputs("</tr>\n", c->f);
  return ++c->n < REPORT_HTML_MAX_TABLE_ROWS;
}

static bool tab_pvc(const struct object *o, void *arg)
{
  struct tab *c = arg;
  const struct pvc *v = &o->u.pvc;
  char cap[32] = "", modes[32] = "";

  if (v->status.phase == PVC_BOUND) {
    report__fmt_bytes(v->status.capacity_bytes, cap, sizeof(cap));
    report__fmt_modes(v->status.access_modes, modes, sizeof(modes));
  }
  fputs("<tr>", c->f);
  td(c->f, o->meta.name);
  td(c->f, meta_is_deleting(&o->meta) ? "Terminating"
                                      : pvc_phase_name(v->status.phase));
  td(c->f, v->spec.volume_name ? v->spec.volume_name : "");
  td(c->f, cap);
  td(c->f, modes);
  td(c->f, v->spec.storage_class_name && *v->spec.storage_class_name
               ? v->spec.storage_class_name
               : "<unset>");
  td_age(c, o);
  fputs("</tr>\n", c->f);
  return ++c->n < REPORT_HTML_MAX_TABLE_ROWS;
}

static bool tab_pv(const struct object *o, void *arg)
{
  struct tab *c = arg;
  const struct pv *v = &o->u.pv;
  static const char *const reclaim[] = {"Retain", "Delete", "Recycle"};
  char cap[32], modes[32], claim[300] = "";

  report__fmt_bytes(v->spec.capacity_bytes, cap, sizeof(cap));
  report__fmt_modes(v->spec.access_modes, modes, sizeof(modes));
  if (v->spec.claim_ref.name)
    snprintf(claim, sizeof(claim), "%s/%s",
             v->spec.claim_ref.namespace_ ? v->spec.claim_ref.namespace_
                                          : "default",
             v->spec.claim_ref.name);
  fputs("<tr>", c->f);
  td(c->f, o->meta.name);
  td(c->f, cap);
  td(c->f, modes);
  td(c->f, (unsigned)v->spec.reclaim_policy < 3
               ? reclaim[v->spec.reclaim_policy]
               : "?");
  td(c->f, pv_phase_name(v->status.phase));
  td(c->f, claim);
  td(c->f, v->spec.storage_class_name ? v->spec.storage_class_name : "");
  td_age(c, o);
  fputs("</tr>\n", c->f);
  return ++c->n < REPORT_HTML_MAX_TABLE_ROWS;
}

static bool tab_node(const struct object *o, void *arg)
{
  struct tab *c = arg;
  const struct node *nd = &o->u.node;
  static const char *const effects[] = {"NoSchedule", "PreferNoSchedule",
                                        "NoExecute"};
  const char *zone = kv_get(&o->meta.labels, "topology.kubernetes.io/zone");
  char status[64];

  snprintf(status, sizeof(status), "%s%s",
           nd->ready.status == COND_TRUE    ? "Ready"
           : nd->ready.status == COND_FALSE ? "NotReady"
                                            : "Unknown",
           nd->unschedulable ? ",SchedulingDisabled" : "");
  fputs("<tr>", c->f);
  td(c->f, o->meta.name);
  td(c->f, status);
  td_age(c, o);
  td(c->f, zone ? zone : "<none>");
  fputs("<td>", c->f);
  for (size_t i = 0; i < nd->taints_nr; i++) {
    const struct taint *t = &nd->taints[i];
    fputs(i ? ", " : "", c->f);
    esc(c->f, t->key);
    if (t->value && *t->value) {
      fputs("=", c->f);
      esc(c->f, t->value);
    }
    fprintf(c->f, ":%s", (unsigned)t->effect < 3 ? effects[t->effect] : "?");
  }
  fputs("</td></tr>\n", c->f);
  return ++c->n < REPORT_HTML_MAX_TABLE_ROWS;
}

static void put_table(FILE *f, struct world *w, const char *title,
                      enum obj_kind k, const char *head, api_visit_fn *fn)
{
  struct tab c = {f, w, world_end_time(w), 0};
  size_t total = api_count(world_api(w), k);

  fprintf(f, "<h3>%s</h3>\n", title);
  if (!total) {
    fputs("<p class=\"note\">None.</p>\n", f);
    return;
  }
  fprintf(f, "<table class=\"grid mono\">\n<tr>%s</tr>\n", head);
  api_list(world_api(w), k, NULL, NULL, fn, &c);
  fputs("</table>\n", f);
  if (c.n < total)
    fprintf(f,
            "<p class=\"note\">... %zu more not shown (the table stops at "
            "%d rows).</p>\n",
            total - c.n, REPORT_HTML_MAX_TABLE_ROWS);
}

static void put_final_state(FILE *f, struct world *w)
{
  fputs("<h2 id=\"final\">Final state</h2>\n", f);
  put_table(f, w, "StatefulSets", KIND_STATEFULSET,
            "<th>NAME</th><th>READY</th><th>AGE</th><th>CURRENT-REVISION</th>"
            "<th>UPDATE-REVISION</th>",
            tab_sts);
  put_table(f, w, "Pods", KIND_POD,
            "<th>NAME</th><th>READY</th><th>STATUS</th><th>RESTARTS</th>"
            "<th>AGE</th><th>IP</th><th>NODE</th>",
            tab_pod);
  put_table(f, w, "PersistentVolumeClaims", KIND_PVC,
            "<th>NAME</th><th>STATUS</th><th>VOLUME</th><th>CAPACITY</th>"
            "<th>ACCESS MODES</th><th>STORAGECLASS</th><th>AGE</th>",
            tab_pvc);
  put_table(f, w, "PersistentVolumes", KIND_PV,
            "<th>NAME</th><th>CAPACITY</th><th>ACCESS MODES</th>"
            "<th>RECLAIM POLICY</th><th>STATUS</th><th>CLAIM</th>"
            "<th>STORAGECLASS</th><th>AGE</th>",
            tab_pv);
  put_table(f, w, "Nodes", KIND_NODE,
            "<th>NAME</th><th>STATUS</th><th>AGE</th><th>ZONE</th>"
            "<th>TAINTS</th>",
            tab_node);
}

/* --- the report
 * -------------------------------------------------------------------- */

void report_html(FILE *f, struct world *w, enum report_detail detail)
{
  struct history *h = world_history(w);

  put_header(f, w);
  fputs("<h2 id=\"picture\">Timeline picture</h2>\n", f);
  if (!h) {
    fputs("<p class=\"note\">No history was recorded for this run (the "
          "world was built without record_history), so there is no "
          "picture.</p>\n",
          f);
  } else {
    fputs("<p class=\"note\">Virtual time runs left to right. A pod keeps "
          "its row (its identity) across incarnations; each incarnation is "
          "one outlined bar from creation to removal, coloured by its "
          "state, with the node it ran on written in it.</p>\n",
          f);
    put_legend(f);
    fputs("<div class=\"pic\">\n", f);
    draw_picture(f, w, h);
    fputs("</div>\n", f);
  }
  put_verdicts(f, w);
  put_expectations(f, w);
  put_events(f, w, detail);
  put_final_state(f, w);
  fputs("<p class=\"note\">Written by stsim. The same scenario and seed give "
        "the same file, byte for byte.</p>\n</body>\n</html>\n",
        f);
}
