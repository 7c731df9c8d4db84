/*
 * ytree.c - builds the small YAML tree of ytree.h from libyaml's event
 * stream (yaml_parser_parse, never yaml_parser_load: the loader builds
 * the whole, alias-expanded document before we could count anything).
 *
 * Limits (libyaml 0.2.5 has none, house-style section 8):
 *  - the input size is checked before libyaml sees a byte;
 *  - nesting is counted per open collection;
 *  - every document keeps a running count of the nodes it would have if
 *    each alias were replaced by a copy of its anchored node. A scalar or
 *    a collection start adds one, an alias adds the expanded size of its
 *    target, so a "billion laughs" document stops after a few hundred
 *    events instead of after a billion. What aliases add beyond their own
 *    node is also summed over the whole stream and held to the same
 *    limit, so many documents each just under it cannot add up.
 *
 * An alias becomes a shallow copy of its anchored node (its own position,
 * shared children), so the tree is a DAG but never a cycle: an alias to a
 * collection that is still open is refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scenario.h"
#include "ytree.h"

/* ---- building ----------------------------------------------------------- */

struct frame {
  struct ynode *node;
  VEC(struct ynode *) items;
  VEC(struct ynode *) keys;
  bool want_value;   /* mapping: a key is waiting for its value */
  uint64_t count_at; /* document node count when the collection began */
  long anchor;       /* index in anchors, or -1 */
};

struct anchor {
  const char *name;
  const struct ynode *node;
  uint64_t size; /* expanded node count */
  bool done;     /* the anchored node is complete */
};

struct builder {
  struct arena *a;
  const char *file;
  const char *buf;
  size_t len;
  struct diag *d;
  VEC(struct frame) stack;
  VEC(struct anchor) anchors; /* of the current document */
  long *slots;                /* hash of anchor names -> index, or -1 */
  size_t slots_nr;            /* power of two */
  VEC(struct ydoc) docs;
  struct ydoc cur;
  uint64_t count;  /* expanded nodes of the current document */
  bool aliased;    /* the current document used an alias */
  uint64_t excess; /* nodes aliases added, over the whole stream */
};

/* Writes at most 60 bytes of s, quoted-printable enough for a message. */
static void describe_text(char *out, size_t n, const char *s, size_t len)
{
  size_t o = 0;

  for (size_t i = 0; i < len && o + 4 < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (i == 60) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  out[o] = '\0';
}

static int mark_line(const yaml_mark_t *m)
{
  return m->line < 1000000000 ? (int)m->line + 1 : 1;
}

static int mark_col(const yaml_mark_t *m)
{
  return m->column < 1000000000 ? (int)m->column + 1 : 1;
}

static uint64_t hash_name(const char *s)
{
  return sim_fnv1a(SIM_FNV_INIT, s, strlen(s));
}

static long anchor_find(const struct builder *b, const char *name)
{
  if (!b->slots_nr)
    return -1;
  size_t mask = b->slots_nr - 1;
  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    long k = b->slots[i];

    if (k < 0)
      return -1;
    if (!strcmp(b->anchors.v[k].name, name))
      return k;
  }
}

static void slots_put(long *slots, size_t nr, const char *name, long k,
                      const struct builder *b)
{
  size_t mask = nr - 1;

  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    if (slots[i] < 0 || !strcmp(b->anchors.v[slots[i]].name, name)) {
      slots[i] = k;
      return;
    }
  }
}

/* Defines (or redefines: the later definition wins) an anchor. */
static long anchor_add(struct builder *b, const char *name,
                       const struct ynode *node)
{
  struct anchor an = {arena_strdup(b->a, name), node, 1, false};

  if ((b->anchors.nr + 1) * 2 > b->slots_nr) {
    size_t nr = b->slots_nr ? b->slots_nr * 2 : 64;
    long *slots = xmalloc(nr * sizeof(*slots));

    for (size_t i = 0; i < nr; i++)
      slots[i] = -1;
    for (size_t i = 0; i < b->slots_nr; i++)
      if (b->slots[i] >= 0)
        slots_put(slots, nr, b->anchors.v[b->slots[i]].name, b->slots[i], b);
    free(b->slots);
    b->slots = slots;
    b->slots_nr = nr;
  }
  VEC_PUSH(&b->anchors, an);
  slots_put(b->slots, b->slots_nr, an.name, (long)b->anchors.nr - 1, b);
  return (long)b->anchors.nr - 1;
}

static void anchors_reset(struct builder *b)
{
  b->anchors.nr = 0;
  for (size_t i = 0; i < b->slots_nr; i++)
    b->slots[i] = -1;
}

static int count_nodes(struct builder *b, uint64_t n, int line, int col)
{
  b->count += n;
  if (b->count <= SCENARIO_MAX_NODES)
    return 0;
  if (b->aliased)
    return diagf(b->d, b->file, line, col, SIM_ELIMIT,
                 "aliases expand to more than %d nodes", SCENARIO_MAX_NODES);
  return diagf(b->d, b->file, line, col, SIM_ELIMIT,
               "document has more than %d nodes", SCENARIO_MAX_NODES);
}

static struct ynode *new_node(struct builder *b, enum ytype type,
                              const yaml_mark_t *m, const yaml_char_t *tag)
{
  struct ynode *n = arena_calloc(b->a, 1, sizeof(*n));

  n->type = type;
  n->line = mark_line(m);
  n->col = mark_col(m);
  n->tag = tag ? arena_strdup(b->a, (const char *)tag) : NULL;
  return n;
}

/* Whether a scalar key is the YAML 1.1 merge key. */
static bool is_merge_key(const struct ynode *k)
{
  return k->type == Y_SCALAR && k->plain && k->len == 2 &&
         !memcmp(k->str, "<<", 2);
}

/* Hangs a finished node under the open collection (or makes it the root). */
static int attach(struct builder *b, struct ynode *n)
{
  if (!b->stack.nr) {
    b->cur.root = n;
    return 0;
  }
  struct frame *f = &b->stack.v[b->stack.nr - 1];
  if (f->node->type == Y_SEQ) {
    VEC_PUSH(&f->items, n);
    return 0;
  }
  if (f->want_value) {
    VEC_PUSH(&f->items, n);
    f->want_value = false;
    return 0;
  }
  if (is_merge_key(n))
    return diagf(b->d, b->file, n->line, n->col, SIM_EPARSE,
                 "merge keys ('<<') are not supported; write the keys out");
  VEC_PUSH(&f->keys, n);
  f->want_value = true;
  return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
  const yaml_mark_t *m = &ev->start_mark;
  struct ynode *n = new_node(b, Y_SCALAR, m, ev->data.scalar.tag);
  int rc;

  rc = count_nodes(b, 1, n->line, n->col);
  if (rc)
    return rc;
  n->len = ev->data.scalar.length;
  n->str = arena_strndup(b->a, (const char *)ev->data.scalar.value, n->len);
  n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !n->tag;
  if (ev->data.scalar.anchor) {
    long k = anchor_add(b, (const char *)ev->data.scalar.anchor, n);

    b->anchors.v[k].done = true;
  }
  return attach(b, n);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
  const char *name = (const char *)ev->data.alias.anchor;
  int line = mark_line(&ev->start_mark), col = mark_col(&ev->start_mark);
  char what[80];
  long k = anchor_find(b, name);

  describe_text(what, sizeof(what), name, strlen(name));
  if (k < 0)
    return diagf(b->d, b->file, line, col, SIM_EPARSE, "unknown anchor '%s'",
                 what);
  if (!b->anchors.v[k].done)
    return diagf(b->d, b->file, line, col, SIM_EPARSE,
                 "alias '*%s' is inside the node it refers to", what);
  b->aliased = true;
  int rc = count_nodes(b, b->anchors.v[k].size, line, col);
  if (rc)
    return rc;
  /*
   * The per-document limit alone would let many small documents each
   * expand to almost the limit; what aliases add beyond their own node
   * is also capped over the whole stream.
   */
  b->excess += b->anchors.v[k].size - 1;
  if (b->excess > SCENARIO_MAX_NODES)
    return diagf(b->d, b->file, line, col, SIM_ELIMIT,
                 "aliases expand to more than %d nodes", SCENARIO_MAX_NODES);
  struct ynode *n = arena_memdup(b->a, b->anchors.v[k].node, sizeof(*n));
  n->line = line;
  n->col = col;
  return attach(b, n);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum ytype t)
{
  const yaml_char_t *tag =
      t == Y_SEQ ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
  const yaml_char_t *anchor = t == Y_SEQ ? ev->data.sequence_start.anchor
                                         : ev->data.mapping_start.anchor;
  struct ynode *n = new_node(b, t, &ev->start_mark, tag);
  struct frame f = {.node = n, .anchor = -1};
  int rc;

  if (b->stack.nr >= SCENARIO_MAX_DEPTH)
    return diagf(b->d, b->file, n->line, n->col, SIM_ELIMIT,
                 "nesting deeper than %d levels", SCENARIO_MAX_DEPTH);
  f.count_at = b->count;
  rc = count_nodes(b, 1, n->line, n->col);
  if (rc)
    return rc;
  if (anchor)
    f.anchor = anchor_add(b, (const char *)anchor, n);
  VEC_PUSH(&b->stack, f);
  return 0;
}

static int key_cmp(const void *pa, const void *pb)
{
  const struct ynode *const *a = pa, *const *b = pb;
  size_t n = (*a)->len < (*b)->len ? (*a)->len : (*b)->len;
  int c = memcmp((*a)->str, (*b)->str, n);

  if (c)
    return c;
  if ((*a)->len != (*b)->len)
    return (*a)->len < (*b)->len ? -1 : 1;
  /* Equal keys: document order, so the first of a run is the original. */
  if ((*a)->line != (*b)->line)
    return (*a)->line < (*b)->line ? -1 : 1;
  return (*a)->col < (*b)->col ? -1 : (*a)->col > (*b)->col;
}

static bool pos_before(const struct ynode *a, const struct ynode *b)
{
  return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/* Refuses a mapping with two equal scalar keys, naming the first repeat. */
static int check_duplicates(struct builder *b, struct ynode *const *keys,
                            size_t nr)
{
  const struct ynode *dup = NULL;
  struct ynode **sorted;
  size_t m = 0;

  if (nr < 2)
    return 0;
  sorted = xmalloc(nr * sizeof(*sorted));
  for (size_t i = 0; i < nr; i++)
    if (keys[i]->type == Y_SCALAR)
      sorted[m++] = keys[i];
  qsort(sorted, m, sizeof(*sorted), key_cmp);
  for (size_t i = 1; i < m; i++) {
    if (sorted[i]->len == sorted[i - 1]->len &&
        !memcmp(sorted[i]->str, sorted[i - 1]->str, sorted[i]->len) &&
        (!dup || pos_before(sorted[i], dup)))
      dup = sorted[i];
  }
  free(sorted);
  if (!dup)
    return 0;
  char what[80];
  describe_text(what, sizeof(what), dup->str, dup->len);
  return diagf(b->d, b->file, dup->line, dup->col, SIM_EPARSE,
               "duplicate key '%s'", what);
}

static int on_end(struct builder *b)
{
  struct frame f = b->stack.v[--b->stack.nr];
  struct ynode *n = f.node;
  int rc = 0;

  n->nr = f.items.nr;
  if (n->nr)
    n->items = arena_memdup(b->a, f.items.v, n->nr * sizeof(*n->items));
  if (n->type == Y_MAP) {
    SIM_ASSERT(f.keys.nr == f.items.nr);
    if (n->nr)
      n->keys = arena_memdup(b->a, f.keys.v, n->nr * sizeof(*n->keys));
    rc = check_duplicates(b, f.keys.v, f.keys.nr);
  }
  free(f.items.v);
  free(f.keys.v);
  if (rc)
    return rc;
  if (f.anchor >= 0) {
    b->anchors.v[f.anchor].size = b->count - f.count_at;
    b->anchors.v[f.anchor].done = true;
  }
  return attach(b, n);
}

/* ---- libyaml errors ----------------------------------------------------- */

/* 1-based line and column (in characters) of a byte offset of the input. */
static void offset_pos(const char *buf, size_t len, size_t off, int *line,
                       int *col)
{
  int l = 1, c = 1;

  if (off > len)
    off = len;
  for (size_t i = 0; i < off; i++) {
    unsigned char ch = (unsigned char)buf[i];

    if (ch == '\n') {
      l++;
      c = 1;
    } else if ((ch & 0xc0) != 0x80) {
      c++;
    }
  }
  *line = l;
  *col = c;
}

/* The byte at a libyaml mark (0-based line and character column), or -1. */
static int byte_at_mark(const char *buf, size_t len, const yaml_mark_t *m)
{
  size_t i = 0, line = 0, col = 0;

  while (i < len && line < m->line)
    if (buf[i++] == '\n')
      line++;
  while (i < len && col < m->column && buf[i] != '\n') {
    i++;
    while (i < len && ((unsigned char)buf[i] & 0xc0) == 0x80)
      i++;
    col++;
  }
  return i < len ? (unsigned char)buf[i] : -1;
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
  const char *problem = p->problem ? p->problem : "malformed YAML";
  int line, col;

  switch (p->error) {
  case YAML_MEMORY_ERROR:
    return diagf(b->d, b->file, 0, 0, SIM_ENOMEM, "out of memory");
  case YAML_READER_ERROR:
    offset_pos(b->buf, b->len, p->problem_offset, &line, &col);
    if (strstr(problem, "UTF-8") && p->problem_value >= 0)
      return diagf(b->d, b->file, line, col, SIM_EPARSE,
                   "%s 0x%02X (scenario files must be UTF-8)", problem,
                   (unsigned)p->problem_value);
    if (strstr(problem, "UTF-8"))
      return diagf(b->d, b->file, line, col, SIM_EPARSE,
                   "%s (scenario files must be UTF-8)", problem);
    if (p->problem_value >= 0)
      return diagf(b->d, b->file, line, col, SIM_EPARSE, "%s (U+%04X)", problem,
                   (unsigned)p->problem_value);
    return diagf(b->d, b->file, line, col, SIM_EPARSE, "%s", problem);
  default:
    break;
  }
  line = mark_line(&p->problem_mark);
  col = mark_col(&p->problem_mark);
  if (byte_at_mark(b->buf, b->len, &p->problem_mark) == '\t')
    return diagf(b->d, b->file, line, col, SIM_EPARSE,
                 "found a tab character where YAML allows only spaces "
                 "(indent with spaces)");
  if (p->context && (p->context_mark.line != p->problem_mark.line ||
                     p->context_mark.column != p->problem_mark.column))
    return diagf(b->d, b->file, line, col, SIM_EPARSE,
                 "%s %s that starts at %d:%d", problem, p->context,
                 mark_line(&p->context_mark), mark_col(&p->context_mark));
  if (p->context)
    return diagf(b->d, b->file, line, col, SIM_EPARSE, "%s %s", problem,
                 p->context);
  return diagf(b->d, b->file, line, col, SIM_EPARSE, "%s", problem);
}

/* ---- the stream --------------------------------------------------------- */

static int on_event(struct builder *b, const yaml_event_t *ev)
{
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    memset(&b->cur, 0, sizeof(b->cur));
    b->cur.line = mark_line(&ev->start_mark);
    b->cur.col = mark_col(&ev->start_mark);
    b->count = 0;
    b->aliased = false;
    anchors_reset(b);
    return 0;
  case YAML_DOCUMENT_END_EVENT: {
    const struct ynode *r = b->cur.root;

    /* "---" followed by nothing is an empty plain scalar: no root. */
    if (r && r->type == Y_SCALAR && r->plain && !r->len)
      b->cur.root = NULL;
    b->cur.end_line = mark_line(&ev->start_mark);
    b->cur.end_col = mark_col(&ev->start_mark);
    VEC_PUSH(&b->docs, b->cur);
    return 0;
  }
  case YAML_SCALAR_EVENT:
    return on_scalar(b, ev);
  case YAML_ALIAS_EVENT:
    return on_alias(b, ev);
  case YAML_SEQUENCE_START_EVENT:
    return on_start(b, ev, Y_SEQ);
  case YAML_MAPPING_START_EVENT:
    return on_start(b, ev, Y_MAP);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    return on_end(b);
  default:
    return 0;
  }
}

int ytree_parse(struct arena *a, const char *name, const char *buf, size_t len,
                struct ydoc **docs, size_t *nr, struct diag *d)
{
  struct builder b = {.a = a, .file = name, .buf = buf, .len = len, .d = d};
  yaml_parser_t parser;
  yaml_event_t ev;
  int rc = 0;

  if (len > SCENARIO_MAX_FILE_BYTES)
    return diagf(d, name, 1, 1, SIM_ELIMIT, "file is larger than %u MiB",
                 SCENARIO_MAX_FILE_BYTES >> 20);
  if (!yaml_parser_initialize(&parser))
    return diagf(d, name, 0, 0, SIM_ENOMEM, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
  for (;;) {
    bool done;

    if (!yaml_parser_parse(&parser, &ev)) {
      rc = parser_error(&b, &parser);
      break;
    }
    rc = on_event(&b, &ev);
    done = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (rc || done)
      break;
  }
  yaml_parser_delete(&parser);

  while (b.stack.nr) {
    struct frame *f = &b.stack.v[--b.stack.nr];

    free(f->items.v);
    free(f->keys.v);
  }
  free(b.stack.v);
  free(b.anchors.v);
  free(b.slots);
  if (!rc) {
    *nr = b.docs.nr;
    *docs = b.docs.nr ? arena_memdup(a, b.docs.v, b.docs.nr * sizeof(*b.docs.v))
                      : NULL;
  }
  free(b.docs.v);
  return rc;
}

/* ---- reading ------------------------------------------------------------ */

const struct ynode *ytree_get(const struct ynode *map, const char *key)
{
  size_t len = strlen(key);

  if (!map || map->type != Y_MAP)
    return NULL;
  for (size_t i = 0; i < map->nr; i++) {
    const struct ynode *k = map->keys[i];

    if (k->type == Y_SCALAR && k->len == len && !memcmp(k->str, key, len))
      return map->items[i];
  }
  return NULL;
}

bool ytree_is_null(const struct ynode *n)
{
  if (!n || n->type != Y_SCALAR)
    return false;
  if (n->tag)
    return !strcmp(n->tag, "tag:yaml.org,2002:null");
  if (!n->plain)
    return false;
  return !n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
         !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

/* "a mapping", "a sequence", "null" or the quoted scalar, for messages. */
static void describe(char *out, size_t n, const struct ynode *node)
{
  char text[80];

  if (node->type == Y_MAP) {
    snprintf(out, n, "a mapping");
  } else if (node->type == Y_SEQ) {
    snprintf(out, n, "a sequence");
  } else if (ytree_is_null(node)) {
    snprintf(out, n, "null");
  } else {
    describe_text(text, sizeof(text), node->str, node->len);
    snprintf(out, n, "\"%s\"", text);
  }
}

/* Fills d as "file:line:col: path: message" (no "path: " if empty). */
static int fail(const char *file, const struct ynode *n, const char *path,
                struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(const char *file, const struct ynode *n, const char *path,
                struct diag *d, const char *fmt, ...)
{
  char msg[sizeof(d->msg)];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (path && *path)
    return diagf(d, file, n->line, n->col, SIM_ESCHEMA, "%s: %s", path, msg);
  return diagf(d, file, n->line, n->col, SIM_ESCHEMA, "%s", msg);
}

static int want(const char *file, const struct ynode *n, const char *path,
                const char *what, struct diag *d)
{
  char got[96];

  describe(got, sizeof(got), n);
  return fail(file, n, path, d, "expected %s, got %s", what, got);
}

int ytree_want_map(const char *file, const struct ynode *n, const char *path,
                   struct diag *d)
{
  SIM_ASSERT(n);
  return n->type == Y_MAP ? 0 : want(file, n, path, "a mapping", d);
}

int ytree_want_seq(const char *file, const struct ynode *n, const char *path,
                   struct diag *d)
{
  SIM_ASSERT(n);
  return n->type == Y_SEQ ? 0 : want(file, n, path, "a sequence", d);
}

int ytree_str(const char *file, const struct ynode *n, const char *path,
              const char **out, struct diag *d)
{
  SIM_ASSERT(n);
  if (n->type != Y_SCALAR || ytree_is_null(n))
    return want(file, n, path, "a string", d);
  if (strlen(n->str) != n->len)
    return fail(file, n, path, d, "a NUL character is not allowed here");
  *out = n->str;
  return 0;
}

/* YAML 1.2 core schema integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static bool parse_int(const char *s, int64_t *out)
{
  bool neg = false;
  unsigned base = 10;
  uint64_t v = 0, lim;

  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    if (neg)
      return false; /* the core schema has no signed hex or octal */
    base = s[1] == 'x' ? 16 : 8;
    s += 2;
  }
  if (!*s)
    return false;
  lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *s; s++) {
    unsigned dgt;

    if (*s >= '0' && *s <= '9')
      dgt = (unsigned)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f')
      dgt = (unsigned)(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F')
      dgt = (unsigned)(*s - 'A' + 10);
    else
      return false;
    if (dgt >= base || v > (lim - dgt) / base)
      return false;
    v = v * base + dgt;
  }
  *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
             : (int64_t)v;
  return true;
}

int ytree_int64(const char *file, const struct ynode *n, const char *path,
                int64_t lo, int64_t hi, int64_t *out, struct diag *d)
{
  int64_t v;

  SIM_ASSERT(n);
  if (n->type != Y_SCALAR || !n->plain || !parse_int(n->str, &v)) {
    /* Tell an out-of-range number from a non-number. */
    const char *s = n->type == Y_SCALAR && n->plain ? n->str : "";
    size_t i = *s == '-' || *s == '+';
    size_t digits = strspn(s + i, "0123456789");

    if (digits && !s[i + digits])
      v = *s == '-' ? INT64_MIN : INT64_MAX;
    else
      return want(file, n, path, "an integer", d);
  }
  if (v < lo || v > hi) {
    char got[96];

    describe_text(got, sizeof(got), n->str, n->len);
    return fail(file, n, path, d, "%s is out of range (%lld to %lld)", got,
                (long long)lo, (long long)hi);
  }
  *out = v;
  return 0;
}

int ytree_bool(const char *file, const struct ynode *n, const char *path,
               bool *out, struct diag *d)
{
  SIM_ASSERT(n);
  if (n->type == Y_SCALAR && n->plain) {
    if (!strcmp(n->str, "true") || !strcmp(n->str, "True") ||
        !strcmp(n->str, "TRUE")) {
      *out = true;
      return 0;
    }
    if (!strcmp(n->str, "false") || !strcmp(n->str, "False") ||
        !strcmp(n->str, "FALSE")) {
      *out = false;
      return 0;
    }
  }
  return want(file, n, path, "true or false", d);
}

int ytree_duration(const char *file, const struct ynode *n, const char *path,
                   simtime *out, struct diag *d)
{
  char got[96];
  simtime v;

  SIM_ASSERT(n);
  if (n->type != Y_SCALAR || ytree_is_null(n))
    return want(file, n, path, "a duration (e.g. 5m)", d);
  describe_text(got, sizeof(got), n->str, n->len);
  if (strlen(n->str) != n->len || sim_parse_duration(n->str, &v))
    return fail(file, n, path, d, "\"%s\" is not a duration (e.g. 5m)", got);
  if (v < 0)
    return fail(file, n, path, d, "\"%s\" is negative", got);
  *out = v;
  return 0;
}
