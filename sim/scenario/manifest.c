/*
 * manifest.c - Kubernetes manifests (StatefulSet, Pod, PVC, PV, ...) from
 * a YAML tree into struct object, decoded the way the API server decodes
 * and validates them.
 *
 * Leniency follows the API server's: a field the simulator does not model
 * is accepted and recorded (scenario__add_ignored, for validate --strict)
 * with its full path; a null value is the same as an absent field. A
 * modelled field of the wrong type, or a value Kubernetes validation
 * rejects, is an error, worded like upstream's field errors where known:
 *
 *   x.yaml:9:13: spec.replicas: Invalid value: -1: must be greater than or
 *   equal to 0
 *
 * The decoder walks every mapping key by key (document order), keeps the
 * dotted path of the field being read in a buffer, and fails at the first
 * problem. Strings are copied into s->arena: the tree may be released
 * before the objects. Nothing is written to *out or s->ignored unless the
 * whole document decodes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "quantity.h"

enum {
  PATH_BUF = 512,  /* longest recorded field path, truncated beyond */
  RENDER_MAX = 96, /* longest value quoted in a message */
};

#define ARRAY_NR(a) (sizeof(a) / sizeof((a)[0]))

struct ignored_ref {
  const struct ynode *key;
  const char *path;
};

struct dec {
  struct arena *a;
  const char *file;
  struct diag *d;
  char path[PATH_BUF];
  size_t len;
  VEC(struct ignored_ref) ignored;
};

/* ---- paths and messages ------------------------------------------------ */

static size_t path_append(struct dec *dc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends to the path and returns its previous length for path_set(). */
static size_t path_append(struct dec *dc, const char *fmt, ...)
{
  size_t old = dc->len;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(dc->path + dc->len, sizeof(dc->path) - dc->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    dc->len += (size_t)n < sizeof(dc->path) - dc->len
                   ? (size_t)n
                   : sizeof(dc->path) - dc->len - 1;
  return old;
}

static size_t path_key(struct dec *dc, const char *key)
{
  return path_append(dc, "%s%s", dc->len ? "." : "", key);
}

static size_t path_index(struct dec *dc, size_t i)
{
  return path_append(dc, "[%zu]", i);
}

static void path_set(struct dec *dc, size_t len)
{
  dc->len = len;
  dc->path[len] = '\0';
}

static int errf(struct dec *dc, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails with "file:line:col: PATH: message" at node n. */
static int errf(struct dec *dc, const struct ynode *n, const char *fmt, ...)
{
  char msg[sizeof(dc->d->msg)];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (dc->len)
    return diagf(dc->d, dc->file, n->line, n->col, SIM_ESCHEMA, "%s: %s",
                 dc->path, msg);
  return diagf(dc->d, dc->file, n->line, n->col, SIM_ESCHEMA, "%s", msg);
}

/* As errf, for the child field `key` of the current path. */
static int errf_at(struct dec *dc, const struct ynode *n, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int errf_at(struct dec *dc, const struct ynode *n, const char *key,
                   const char *fmt, ...)
{
  char msg[sizeof(dc->d->msg)];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  path_key(dc, key);
  return errf(dc, n, "%s", msg);
}

static bool scalar_is_number(const struct ynode *n)
{
  const char *s = n->str;
  size_t i = (*s == '-' || *s == '+') ? 1 : 0;

  if (!n->plain || !s[i])
    return false;
  return strspn(s + i, "0123456789") == strlen(s + i);
}

/* Appends a short rendering of n (JSON-like, scalars quoted unless
 * numbers or booleans) to buf, as upstream prints an "Invalid value". */
static void render_into(const struct ynode *n, char *buf, size_t size,
                        size_t *o, int depth)
{
#define PUT(...)                                                               \
  do {                                                                         \
    if (*o < size) {                                                           \
      int w_ = snprintf(buf + *o, size - *o, __VA_ARGS__);                     \
      *o += w_ > 0 ? (size_t)w_ : 0;                                           \
    }                                                                          \
  } while (0)
  if (n->type == Y_SCALAR) {
    if (ytree_is_null(n))
      PUT("null");
    else if (scalar_is_number(n) || (n->plain && (!strcmp(n->str, "true") ||
                                                  !strcmp(n->str, "false"))))
      PUT("%s", n->str);
    else
      PUT("\"%s\"", n->str);
    return;
  }
  if (depth > 3) {
    PUT(n->type == Y_MAP ? "{...}" : "[...]");
    return;
  }
  PUT(n->type == Y_MAP ? "{" : "[");
  for (size_t i = 0; i < n->nr && *o < size; i++) {
    if (i)
      PUT(",");
    if (n->type == Y_MAP) {
      render_into(n->keys[i], buf, size, o, depth + 1);
      PUT(":");
    }
    render_into(n->items[i], buf, size, o, depth + 1);
  }
  PUT(n->type == Y_MAP ? "}" : "]");
#undef PUT
}

static const char *render(const struct ynode *n, char *buf, size_t size)
{
  size_t o = 0;

  buf[0] = '\0';
  render_into(n, buf, size, &o, 0);
  if (o >= size - 1 && size > 4)
    memcpy(buf + size - 4, "...", 4);
  return buf;
}

/* ---- walking mappings -------------------------------------------------- */

struct fields {
  const struct ynode *map;
  size_t i, base;
  const struct ynode *k, *v;
  const char *key;
};

static int fields_begin(struct dec *dc, const struct ynode *n, struct fields *f)
{
  memset(f, 0, sizeof(*f));
  f->map = n;
  f->base = dc->len;
  return ytree_want_map(dc->file, n, dc->path, dc->d);
}

/*
 * Moves to the next field whose value is not null, with the path set to
 * it. Returns false at the end (path restored) or on error (*rc set).
 */
static bool fields_next(struct dec *dc, struct fields *f, int *rc)
{
  path_set(dc, f->base);
  while (f->i < f->map->nr) {
    const struct ynode *k = f->map->keys[f->i];
    const struct ynode *v = f->map->items[f->i];

    f->i++;
    if (k->type != Y_SCALAR || strlen(k->str) != k->len) {
      *rc = errf(dc, k, "field names must be strings");
      return false;
    }
    if (ytree_is_null(v))
      continue;
    f->k = k;
    f->v = v;
    f->key = k->str;
    path_key(dc, k->str);
    return true;
  }
  return false;
}

static bool is(const struct fields *f, const char *key)
{
  return !strcmp(f->key, key);
}

/* Records the current field as not modelled (empty values carry nothing). */
static void ignore(struct dec *dc, const struct fields *f)
{
  struct ignored_ref r;

  if (f->v->type != Y_SCALAR && f->v->nr == 0)
    return;
  r.key = f->k;
  r.path = arena_strdup(dc->a, dc->path);
  VEC_PUSH(&dc->ignored, r);
}

/* ---- scalars ----------------------------------------------------------- */

static int get_str(struct dec *dc, const struct ynode *v, const char **out)
{
  const char *s;
  int rc = ytree_str(dc->file, v, dc->path, &s, dc->d);

  if (rc)
    return rc;
  *out = arena_strdup(dc->a, s);
  return 0;
}

static int get_i64(struct dec *dc, const struct ynode *v, int64_t *out)
{
  return ytree_int64(dc->file, v, dc->path, INT64_MIN, INT64_MAX, out, dc->d);
}

static int get_i32(struct dec *dc, const struct ynode *v, int32_t *out)
{
  int64_t x;
  int rc = ytree_int64(dc->file, v, dc->path, INT32_MIN, INT32_MAX, &x, dc->d);

  if (!rc)
    *out = (int32_t)x;
  return rc;
}

static int get_bool(struct dec *dc, const struct ynode *v, bool *out)
{
  return ytree_bool(dc->file, v, dc->path, out, dc->d);
}

/* "Invalid value: -1: must be greater than or equal to 0" unless x >= 0. */
static int check_nonneg(struct dec *dc, const struct ynode *v, int64_t x)
{
  if (x >= 0)
    return 0;
  return errf(dc, v, "Invalid value: %lld: must be greater than or equal to 0",
              (long long)x);
}

static int get_nonneg_i32(struct dec *dc, const struct ynode *v, int32_t *out)
{
  int32_t x;
  int rc = get_i32(dc, v, &x);

  if (!rc)
    rc = check_nonneg(dc, v, x);
  if (!rc)
    *out = x;
  return rc;
}

static int get_nonneg_i64(struct dec *dc, const struct ynode *v, int64_t *out)
{
  int64_t x;
  int rc = get_i64(dc, v, &x);

  if (!rc)
    rc = check_nonneg(dc, v, x);
  if (!rc)
    *out = x;
  return rc;
}

struct enum_val {
  const char *name;
  int value;
};

/* A string out of a fixed set; upstream's "Unsupported value" otherwise. */
static int get_enum(struct dec *dc, const struct ynode *v,
                    const struct enum_val *vals, size_t nr, int *out)
{
  char list[256];
  size_t o = 0;
  const char *s;
  int rc = ytree_str(dc->file, v, dc->path, &s, dc->d);

  if (rc)
    return rc;
  for (size_t i = 0; i < nr; i++) {
    if (!strcmp(s, vals[i].name)) {
      *out = vals[i].value;
      return 0;
    }
  }
  list[0] = '\0';
  for (size_t i = 0; i < nr && o < sizeof(list); i++) {
    int w = snprintf(list + o, sizeof(list) - o, "%s\"%s\"", i ? ", " : "",
                     vals[i].name);
    o += w > 0 ? (size_t)w : 0;
  }
  char got[RENDER_MAX];
  return errf(dc, v, "Unsupported value: %s: supported values: %s",
              render(v, got, sizeof(got)), list);
}

#define GET_ENUM(dc, v, table, out)                                            \
  get_enum_as((dc), (v), (table), ARRAY_NR(table), (out), sizeof(*(out)))

/* get_enum for an enum-typed destination (enums here are int-sized). */
static int get_enum_as(struct dec *dc, const struct ynode *v,
                       const struct enum_val *vals, size_t nr, void *out,
                       size_t size)
{
  int x;
  int rc = get_enum(dc, v, vals, nr, &x);

  if (rc)
    return rc;
  SIM_ASSERT(size == sizeof(x));
  memcpy(out, &x, size);
  return 0;
}

/*
 * A quantity: Value() (scale 0) or MilliValue() (scale 3), which must not
 * be negative. example is the hint in the error ("1Gi, 500Mi").
 */
static int get_quantity(struct dec *dc, const struct ynode *v, int scale,
                        const char *example, int64_t *out)
{
  int64_t x;

  if (v->type != Y_SCALAR)
    return errf(dc, v, "expected a quantity (e.g. %s), got %s", example,
                v->type == Y_MAP ? "a mapping" : "a sequence");
  if (strlen(v->str) != v->len ||
      quantity_parse_scaled(v->str, v->len, scale, &x))
    return errf(dc, v, "\"%.60s\" is not a quantity (e.g. %s)", v->str,
                example);
  if (x < 0)
    return errf(dc, v,
                "Invalid value: \"%s\": must be greater than or equal to 0",
                v->str);
  *out = x;
  return 0;
}

/*
 * An IntOrString that must be an integer or "N%": 2, "2" and "25%". The
 * value is checked by the caller.
 */
static int get_int_or_percent(struct dec *dc, const struct ynode *v,
                              struct int_or_percent *out)
{
  struct int_or_percent r = {.set = true};
  char got[RENDER_MAX];
  int64_t x;

  if (v->type == Y_SCALAR && v->plain && scalar_is_number(v)) {
    int rc = get_i32(dc, v, &r.value);

    if (rc)
      return rc;
    *out = r;
    return 0;
  }
  if (v->type != Y_SCALAR)
    return errf(dc, v, "expected an integer or a percentage, got %s",
                v->type == Y_MAP ? "a mapping" : "a sequence");
  const char *s = v->str;
  size_t digits = strspn(s, "0123456789");
  bool pct = digits > 0 && s[digits] == '%' && !s[digits + 1];
  bool num = digits > 0 && !s[digits];
  if ((!pct && !num) || strlen(s) != v->len || digits > 9)
    return errf(dc, v,
                "Invalid value: %s: a valid percent string must be a numeric "
                "string followed by an ending '%%' (e.g. '1%%',  or '93%%', "
                "regex used for validation is '[0-9]+%%')",
                render(v, got, sizeof(got)));
  x = strtol(s, NULL, 10);
  r.value = (int32_t)x;
  r.is_percent = pct;
  *out = r;
  return 0;
}

/* ---- names ------------------------------------------------------------- */

static bool is_alnum_lower(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool is_dns_label(const char *s, size_t n)
{
  if (n == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum_lower(s[i]) && s[i] != '-')
      return false;
  return true;
}

static bool is_dns_subdomain(const char *s)
{
  const char *p = s;

  for (;;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);

    if (!is_dns_label(p, n))
      return false;
    if (!dot)
      return true;
    p = dot + 1;
  }
}

#define DNS_LABEL_MSG                                                          \
  "a lowercase RFC 1123 label must consist of lower case alphanumeric "        \
  "characters or '-', and must start and end with an alphanumeric character "  \
  "(e.g. 'my-name',  or '123-abc', regex used for validation is "              \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define DNS_SUBDOMAIN_MSG                                                      \
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "    \
  "characters, '-' or '.', and must start and end with an alphanumeric "       \
  "character (e.g. 'example.com', regex used for validation is "               \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

#define DNS1035_MSG                                                            \
  "a DNS-1035 label must consist of lower case alphanumeric characters or "    \
  "'-', start with an alphabetic character, and end with an alphanumeric "     \
  "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "    \
  "'[a-z]([-a-z0-9]*[a-z0-9])?')"

enum name_rule {
  NAME_SUBDOMAIN, /* RFC 1123 subdomain: most object names */
  NAME_LABEL,     /* RFC 1123 label: namespaces, containers, volumes */
  NAME_1035,      /* RFC 1035 label: Services */
};

/* Validates a name as upstream's NameIsDNSSubdomain / NameIsDNSLabel /
 * NameIsDNS1035Label do; reports the first problem. */
static int check_name(struct dec *dc, const struct ynode *v, const char *name,
                      enum name_rule rule)
{
  size_t n = strlen(name);

  if (rule == NAME_SUBDOMAIN) {
    if (n > 253)
      return errf(dc, v,
                  "Invalid value: \"%s\": must be no more than 253 characters",
                  name);
    if (!is_dns_subdomain(name))
      return errf(dc, v, "Invalid value: \"%s\": %s", name, DNS_SUBDOMAIN_MSG);
    return 0;
  }
  if (n > 63)
    return errf(dc, v,
                "Invalid value: \"%s\": must be no more than 63 characters",
                name);
  if (rule == NAME_1035) {
    if (!is_dns_label(name, n) || (name[0] >= '0' && name[0] <= '9'))
      return errf(dc, v, "Invalid value: \"%s\": %s", name, DNS1035_MSG);
    return 0;
  }
  if (!is_dns_label(name, n))
    return errf(dc, v, "Invalid value: \"%s\": %s", name,
                is_dns_subdomain(name) ? "must not contain dots"
                                       : DNS_LABEL_MSG);
  return 0;
}

/* ---- collections ------------------------------------------------------- */

static int want_seq(struct dec *dc, const struct ynode *n)
{
  return ytree_want_seq(dc->file, n, dc->path, dc->d);
}

static bool is_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* A qualified name's name part or a label value:
 * ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool is_qualified_name(const char *s, size_t n)
{
  if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return false;
  return true;
}

#define QNAME_MSG                                                              \
  "must consist of alphanumeric characters, '-', '_' or '.', and must start "  \
  "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "    \
  "or '123-abc', regex used for validation is "                                \
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                        \
  "a valid label must be an empty string or consist of alphanumeric "          \
  "characters, '-', '_' or '.', and must start and end with an "               \
  "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "      \
  "regex used for validation is "                                              \
  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

/* Upstream's IsQualifiedName, first problem only; NULL if valid. */
static const char *label_key_problem(const char *key, char *buf, size_t size)
{
  const char *slash = strchr(key, '/');
  const char *name = slash ? slash + 1 : key;

  if (slash && strchr(name, '/'))
    return "a qualified name " QNAME_MSG
           " with an optional DNS subdomain prefix and '/' (e.g. "
           "'example.com/MyName')";
  if (slash) {
    size_t n = (size_t)(slash - key);
    char prefix[256];

    if (n == 0)
      return "prefix part must be non-empty";
    if (n > 253)
      return "prefix part must be no more than 253 characters";
    memcpy(prefix, key, n);
    prefix[n] = '\0';
    if (!is_dns_subdomain(prefix)) {
      snprintf(buf, size, "prefix part %s", DNS_SUBDOMAIN_MSG);
      return buf;
    }
  }
  if (!*name)
    return "name part must be non-empty";
  if (strlen(name) > 63)
    return "name part must be no more than 63 characters";
  if (!is_qualified_name(name, strlen(name)))
    return "name part " QNAME_MSG;
  return NULL;
}

/*
 * map[string]string: labels, annotations, nodeSelector, parameters. With
 * labels set, keys and values are checked as upstream's ValidateLabels
 * does (errors name the map's path, as upstream's do).
 */
static int get_map(struct dec *dc, const struct ynode *n, bool labels,
                   struct kv_list *out)
{
  size_t base = dc->len;
  int rc = ytree_want_map(dc->file, n, dc->path, dc->d);
  char buf[sizeof(DNS_SUBDOMAIN_MSG) + 32];
  struct kv *v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  for (size_t i = 0; i < n->nr; i++) {
    const struct ynode *k = n->keys[i], *val = n->items[i];
    const char *problem;

    if (k->type != Y_SCALAR || strlen(k->str) != k->len)
      return errf(dc, k, "keys must be strings");
    v[i].key = arena_strdup(dc->a, k->str);
    v[i].value = "";
    if (!ytree_is_null(val)) {
      path_key(dc, k->str);
      rc = get_str(dc, val, &v[i].value);
      path_set(dc, base);
      if (rc)
        return rc;
    }
    if (!labels)
      continue;
    problem = label_key_problem(v[i].key, buf, sizeof(buf));
    if (problem)
      return errf(dc, k, "Invalid value: \"%s\": %s", v[i].key, problem);
    if (strlen(v[i].value) > 63)
      return errf(dc, val,
                  "Invalid value: \"%s\": must be no more than 63 characters",
                  v[i].value);
    if (*v[i].value && !is_qualified_name(v[i].value, strlen(v[i].value)))
      return errf(dc, val, "Invalid value: \"%s\": %s", v[i].value,
                  LABEL_VALUE_MSG);
  }
  out->v = v;
  out->nr = n->nr;
  return 0;
}

static int get_kv(struct dec *dc, const struct ynode *n, struct kv_list *out)
{
  return get_map(dc, n, false, out);
}

static int get_labels(struct dec *dc, const struct ynode *n,
                      struct kv_list *out)
{
  return get_map(dc, n, true, out);
}

static int get_strs(struct dec *dc, const struct ynode *n, struct str_list *out)
{
  size_t base = dc->len;
  int rc = want_seq(dc, n);
  const char **v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  for (size_t i = 0; i < n->nr; i++) {
    path_index(dc, i);
    rc = get_str(dc, n->items[i], &v[i]);
    if (rc)
      return rc;
    path_set(dc, base);
  }
  out->v = v;
  out->nr = n->nr;
  return 0;
}

/*
 * Loops over the items of sequence n with the path set to "...[i]" in the
 * body; the path is restored after each item (and when the loop ends).
 */
#define FOR_ITEMS(dc, n, i, base)                                              \
  for (size_t i = 0, base = (dc)->len;                                         \
       i < (n)->nr && (path_index((dc), i), true); path_set((dc), base), i++)

/* ---- metadata ---------------------------------------------------------- */

static uint64_t uid_of(const char *s)
{
  char *end;
  unsigned long long v = strtoull(s, &end, 10);

  if (*s && !*end && s[0] != '-')
    return v;
  return sim_fnv1a(SIM_FNV_INIT, s, strlen(s));
}

static int decode_owner_ref(struct dec *dc, const struct ynode *n,
                            struct owner_ref *o)
{
  const char *uid = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "apiVersion"))
      rc = get_str(dc, f.v, &o->api_version);
    else if (is(&f, "kind"))
      rc = get_str(dc, f.v, &o->kind);
    else if (is(&f, "name"))
      rc = get_str(dc, f.v, &o->name);
    else if (is(&f, "uid"))
      rc = get_str(dc, f.v, &uid);
    else if (is(&f, "controller"))
      rc = get_bool(dc, f.v, &o->controller);
    else if (is(&f, "blockOwnerDeletion"))
      rc = get_bool(dc, f.v, &o->block_owner_deletion);
    else
      ignore(dc, &f);
  }
  if (rc)
    return rc;
  if (!o->api_version)
    return errf_at(dc, n, "apiVersion", "Required value");
  if (!o->kind)
    return errf_at(dc, n, "kind", "Required value");
  if (!o->name)
    return errf_at(dc, n, "name", "Required value");
  if (!uid)
    return errf_at(dc, n, "uid", "Required value");
  o->uid = uid_of(uid);
  return 0;
}

/*
 * StatefulSet names become pod names and hostnames ("web-0"), so they
 * must be DNS labels; Services are DNS-1035 labels; the rest subdomains.
 */
static enum name_rule name_rule_of(enum obj_kind kind)
{
  switch (kind) {
  case KIND_STATEFULSET:
    return NAME_LABEL;
  case KIND_SERVICE:
    return NAME_1035;
  default:
    return NAME_SUBDOMAIN;
  }
}

/*
 * An object's metadata: name (or generateName), namespace ("default" for
 * namespaced kinds, cleared for cluster-scoped ones, as the API server
 * does), labels, annotations, finalizers and ownerReferences.
 */
static int decode_meta(struct dec *dc, const struct ynode *n,
                       enum obj_kind kind, struct meta *m)
{
  const struct ynode *name_node = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "name")) {
      name_node = f.v;
      rc = get_str(dc, f.v, &m->name);
      if (!rc && *m->name)
        rc = check_name(dc, f.v, m->name, name_rule_of(kind));
    } else if (is(&f, "generateName")) {
      rc = get_str(dc, f.v, &m->generate_name);
    } else if (is(&f, "namespace")) {
      if (!obj_kind_namespaced(kind)) {
        ignore(dc, &f); /* the API server clears it */
        continue;
      }
      rc = get_str(dc, f.v, &m->namespace_);
      if (!rc && *m->namespace_)
        rc = check_name(dc, f.v, m->namespace_, NAME_LABEL);
    } else if (is(&f, "labels")) {
      rc = get_labels(dc, f.v, &m->labels);
    } else if (is(&f, "annotations")) {
      rc = get_kv(dc, f.v, &m->annotations);
    } else if (is(&f, "finalizers")) {
      rc = get_strs(dc, f.v, &m->finalizers);
    } else if (is(&f, "ownerReferences")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct owner_ref *refs =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*refs)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        rc = decode_owner_ref(dc, f.v->items[i], &refs[i]);
        if (rc)
          return rc;
      }
      m->owner_refs = refs;
      m->owner_refs_nr = f.v->nr;
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!m->name || !*m->name) {
    m->name = "";
    if (!m->generate_name || !*m->generate_name)
      return errf_at(dc, name_node ? name_node : n, "name",
                     "Required value: name or generateName is required");
  }
  if (obj_kind_namespaced(kind)) {
    if (!m->namespace_ || !*m->namespace_)
      m->namespace_ = "default";
  } else {
    m->namespace_ = "";
  }
  return 0;
}

/* ---- selectors --------------------------------------------------------- */

static const struct enum_val label_ops[] = {
    {"In", SEL_IN},
    {"NotIn", SEL_NOT_IN},
    {"Exists", SEL_EXISTS},
    {"DoesNotExist", SEL_DOES_NOT_EXIST},
};

static const struct enum_val node_ops[] = {
    {"In", SEL_IN},         {"NotIn", SEL_NOT_IN},
    {"Exists", SEL_EXISTS}, {"DoesNotExist", SEL_DOES_NOT_EXIST},
    {"Gt", SEL_GT},         {"Lt", SEL_LT},
};

/*
 * One {key, operator, values} requirement. node: node-selector operators
 * (Gt, Lt) allowed; field: a matchFields entry (key metadata.name).
 */
static int decode_requirement(struct dec *dc, const struct ynode *n, bool node,
                              bool field, struct selector_req *r)
{
  const struct ynode *op_node = NULL, *values_node = NULL;
  const struct enum_val *ops = node ? node_ops : label_ops;
  size_t ops_nr = node ? ARRAY_NR(node_ops) : ARRAY_NR(label_ops);
  char got[RENDER_MAX];
  bool has_values = false;
  struct fields f;
  int op = -1;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "key")) {
      rc = get_str(dc, f.v, &r->key);
    } else if (is(&f, "operator")) {
      op_node = f.v;
      const char *s;
      rc = ytree_str(dc->file, f.v, dc->path, &s, dc->d);
      if (rc)
        break;
      for (size_t i = 0; i < ops_nr; i++)
        if (!strcmp(s, ops[i].name))
          op = ops[i].value;
      if (op < 0)
        return errf(dc, f.v, "Invalid value: %s: not a valid selector operator",
                    render(f.v, got, sizeof(got)));
    } else if (is(&f, "values")) {
      values_node = f.v;
      has_values = true;
      rc = get_strs(dc, f.v, &r->values);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!r->key || !*r->key)
    return errf_at(dc, n, "key", "Required value");
  if (field && strcmp(r->key, "metadata.name"))
    return errf_at(dc, n, "key",
                   "Invalid value: \"%s\": not a valid field selector key",
                   r->key);
  if (!op_node)
    return errf_at(dc, n, "operator", "Required value");
  r->op = (enum selector_op)op;
  has_values = has_values && r->values.nr > 0;
  const struct ynode *at = values_node ? values_node : n;
  switch (r->op) {
  case SEL_IN:
  case SEL_NOT_IN:
    if (!has_values)
      return errf_at(dc, at, "values",
                     "Required value: must be specified when `operator` is "
                     "'In' or 'NotIn'");
    if (field && r->values.nr != 1)
      return errf_at(dc, at, "values",
                     "Required value: must be only one value when `operator` "
                     "is 'In' or 'NotIn' for node field selector");
    break;
  case SEL_EXISTS:
  case SEL_DOES_NOT_EXIST:
    if (field)
      return errf_at(dc, op_node, "operator",
                     "Invalid value: \"%s\": not a valid selector operator",
                     op_node->str);
    if (has_values)
      return errf_at(dc, at, "values",
                     "Forbidden: may not be specified when `operator` is "
                     "'Exists' or 'DoesNotExist'");
    break;
  case SEL_GT:
  case SEL_LT:
    if (field)
      return errf_at(dc, op_node, "operator",
                     "Invalid value: \"%s\": not a valid selector operator",
                     op_node->str);
    if (r->values.nr != 1)
      return errf_at(dc, at, "values",
                     "Required value: must be specified single value when "
                     "`operator` is 'Lt' or 'Gt'");
    break;
  }
  return 0;
}

static int decode_requirements(struct dec *dc, const struct ynode *n, bool node,
                               bool field, const struct selector_req **out,
                               size_t *nr)
{
  int rc = want_seq(dc, n);
  struct selector_req *v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  FOR_ITEMS(dc, n, i, base)
  {
    rc = decode_requirement(dc, n->items[i], node, field, &v[i]);
    if (rc)
      return rc;
  }
  *out = v;
  *nr = n->nr;
  return 0;
}

/* metav1.LabelSelector. */
static int decode_label_selector(struct dec *dc, const struct ynode *n,
                                 struct label_selector *sel)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "matchLabels"))
      rc = get_labels(dc, f.v, &sel->match_labels);
    else if (is(&f, "matchExpressions"))
      rc = decode_requirements(dc, f.v, false, false, &sel->exprs,
                               &sel->exprs_nr);
    else
      ignore(dc, &f);
  }
  return rc;
}

static int decode_node_term(struct dec *dc, const struct ynode *n,
                            struct node_selector_term *t)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "matchExpressions"))
      rc = decode_requirements(dc, f.v, true, false, &t->exprs, &t->exprs_nr);
    else if (is(&f, "matchFields"))
      rc = decode_requirements(dc, f.v, true, true, &t->fields, &t->fields_nr);
    else
      ignore(dc, &f);
  }
  return rc;
}

/* A NodeSelector: {nodeSelectorTerms: [...]}, at least one term. */
static int decode_node_selector(struct dec *dc, const struct ynode *n,
                                struct node_selector *ns)
{
  const struct ynode *terms = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (!is(&f, "nodeSelectorTerms")) {
      ignore(dc, &f);
      continue;
    }
    terms = f.v;
    rc = want_seq(dc, f.v);
    if (rc)
      break;
    struct node_selector_term *v =
        f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
    FOR_ITEMS(dc, f.v, i, b)
    {
      rc = decode_node_term(dc, f.v->items[i], &v[i]);
      if (rc)
        return rc;
    }
    ns->terms = v;
    ns->terms_nr = f.v->nr;
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!terms || !terms->nr)
    return errf_at(dc, terms ? terms : n, "nodeSelectorTerms",
                   "Required value: must have at least one node selector "
                   "term");
  return 0;
}

/* Go's %#v of a map[string]string, keys sorted: the labels in the
 * "selector does not match" message. */
static int kv_cmp(const void *a, const void *b)
{
  return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

static const char *render_labels(const struct kv_list *l, char *buf,
                                 size_t size)
{
  struct kv *sorted;
  size_t o;

  if (!l->nr) {
    snprintf(buf, size, "map[string]string(nil)");
    return buf;
  }
  sorted = xmalloc(l->nr * sizeof(*sorted));
  memcpy(sorted, l->v, l->nr * sizeof(*sorted));
  qsort(sorted, l->nr, sizeof(*sorted), kv_cmp);
  o = (size_t)snprintf(buf, size, "map[string]string{");
  for (size_t i = 0; i < l->nr && o < size; i++) {
    int w = snprintf(buf + o, size - o, "%s\"%s\":\"%s\"", i ? ", " : "",
                     sorted[i].key, sorted[i].value);
    o += w > 0 ? (size_t)w : 0;
  }
  if (o < size)
    snprintf(buf + o, size - o, "}");
  free(sorted);
  return buf;
}

/* ---- pods -------------------------------------------------------------- */

static int decode_probe(struct dec *dc, const struct ynode *n, bool liveness,
                        struct probe *p)
{
  static const char *const handlers[] = {"exec", "httpGet", "tcpSocket",
                                         "grpc"};
  const struct ynode *success = NULL;
  int handlers_nr = 0;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  *p = (struct probe){.set = true,
                      .period_seconds = 10,
                      .timeout_seconds = 1,
                      .success_threshold = 1,
                      .failure_threshold = 3};
  while (!rc && fields_next(dc, &f, &rc)) {
    bool handler = false;

    for (size_t i = 0; i < ARRAY_NR(handlers); i++)
      handler = handler || is(&f, handlers[i]);
    if (handler) {
      handlers_nr++;
      ignore(dc, &f); /* what the probe checks is not modelled */
      if (handlers_nr > 1)
        return errf(dc, f.v,
                    "Forbidden: may not specify more than 1 handler "
                    "type");
    } else if (is(&f, "initialDelaySeconds")) {
      rc = get_nonneg_i32(dc, f.v, &p->initial_delay_seconds);
    } else if (is(&f, "periodSeconds")) {
      rc = get_nonneg_i32(dc, f.v, &p->period_seconds);
    } else if (is(&f, "timeoutSeconds")) {
      rc = get_nonneg_i32(dc, f.v, &p->timeout_seconds);
    } else if (is(&f, "successThreshold")) {
      success = f.v;
      rc = get_nonneg_i32(dc, f.v, &p->success_threshold);
    } else if (is(&f, "failureThreshold")) {
      rc = get_nonneg_i32(dc, f.v, &p->failure_threshold);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  /* Upstream defaulting turns 0 into the default for these. */
  if (p->period_seconds == 0)
    p->period_seconds = 10;
  if (p->timeout_seconds == 0)
    p->timeout_seconds = 1;
  if (p->success_threshold == 0)
    p->success_threshold = 1;
  if (p->failure_threshold == 0)
    p->failure_threshold = 3;
  if (handlers_nr == 0)
    return errf(dc, n, "Required value: must specify a handler type");
  if (liveness && p->success_threshold != 1)
    return errf_at(dc, success, "successThreshold",
                   "Invalid value: %d: must be 1", p->success_threshold);
  return 0;
}

/* resources: requests (cpu, memory) with limits as the fallback request,
 * as upstream defaulting does when only limits are given. */
static int decode_resources(struct dec *dc, const struct ynode *n,
                            struct container *c)
{
  int64_t lim_cpu = -1, lim_mem = -1, req_cpu = -1, req_mem = -1;
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    bool req = is(&f, "requests");

    if (!req && !is(&f, "limits")) {
      ignore(dc, &f);
      continue;
    }
    struct fields g;
    rc = fields_begin(dc, f.v, &g);
    while (!rc && fields_next(dc, &g, &rc)) {
      if (is(&g, "cpu"))
        rc = get_quantity(dc, g.v, 3, "500m, 2", req ? &req_cpu : &lim_cpu);
      else if (is(&g, "memory"))
        rc = get_quantity(dc, g.v, 0, "1Gi, 500Mi", req ? &req_mem : &lim_mem);
      else
        ignore(dc, &g);
    }
  }
  if (rc)
    return rc;
  c->cpu_request_milli = req_cpu >= 0 ? req_cpu : lim_cpu >= 0 ? lim_cpu : 0;
  c->memory_request = req_mem >= 0 ? req_mem : lim_mem >= 0 ? lim_mem : 0;
  if (lim_cpu >= 0 && c->cpu_request_milli > lim_cpu) {
    path_key(dc, "requests");
    return errf(dc, n,
                "Invalid value: \"%lldm\": must be less than or equal to cpu "
                "limit of %lldm",
                (long long)c->cpu_request_milli, (long long)lim_cpu);
  }
  if (lim_mem >= 0 && c->memory_request > lim_mem) {
    path_key(dc, "requests");
    return errf(dc, n,
                "Invalid value: \"%lld\": must be less than or equal to "
                "memory limit of %lld",
                (long long)c->memory_request, (long long)lim_mem);
  }
  return 0;
}

static int decode_container(struct dec *dc, const struct ynode *n,
                            struct container *c)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "name")) {
      rc = get_str(dc, f.v, &c->name);
      if (!rc && *c->name)
        rc = check_name(dc, f.v, c->name, NAME_LABEL);
    } else if (is(&f, "image")) {
      rc = get_str(dc, f.v, &c->image);
    } else if (is(&f, "resources")) {
      rc = decode_resources(dc, f.v, c);
    } else if (is(&f, "readinessProbe")) {
      rc = decode_probe(dc, f.v, false, &c->readiness);
    } else if (is(&f, "livenessProbe")) {
      rc = decode_probe(dc, f.v, true, &c->liveness);
    } else if (is(&f, "startupProbe")) {
      rc = decode_probe(dc, f.v, true, &c->startup);
    } else if (is(&f, "volumeMounts")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      const char **names =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*names)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        const struct ynode *m = f.v->items[i];
        struct fields g;

        rc = fields_begin(dc, m, &g);
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "name"))
            rc = get_str(dc, g.v, &names[i]);
          else
            ignore(dc, &g);
        }
        if (rc)
          return rc;
        if (!names[i] || !*names[i])
          return errf_at(dc, m, "name", "Required value");
      }
      c->volume_mounts.v = names;
      c->volume_mounts.nr = f.v->nr;
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!c->name || !*c->name)
    return errf_at(dc, n, "name", "Required value");
  if (!c->image || !*c->image)
    return errf_at(dc, n, "image", "Required value");
  return 0;
}

static int decode_containers(struct dec *dc, const struct ynode *n,
                             const struct container **out, size_t *nr)
{
  int rc = want_seq(dc, n);
  struct container *v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  FOR_ITEMS(dc, n, i, base)
  {
    rc = decode_container(dc, n->items[i], &v[i]);
    if (rc)
      return rc;
  }
  *out = v;
  *nr = n->nr;
  return 0;
}

/* Every volume source of core/v1 Volume, for "exactly one" checks. */
static const char *const volume_sources[] = {
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
};

static bool is_volume_source(const char *key)
{
  for (size_t i = 0; i < ARRAY_NR(volume_sources); i++)
    if (!strcmp(key, volume_sources[i]))
      return true;
  return false;
}

static int decode_volume(struct dec *dc, const struct ynode *n,
                         struct pod_volume *vol)
{
  int sources = 0;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "name")) {
      rc = get_str(dc, f.v, &vol->name);
      if (!rc && *vol->name)
        rc = check_name(dc, f.v, vol->name, NAME_LABEL);
      continue;
    }
    if (!is_volume_source(f.key)) {
      ignore(dc, &f);
      continue;
    }
    if (++sources > 1)
      return errf(dc, f.k,
                  "Forbidden: may not specify more than 1 volume "
                  "type");
    if (is(&f, "persistentVolumeClaim")) {
      struct fields g;

      vol->source = VOLSRC_PVC;
      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "claimName"))
          rc = get_str(dc, g.v, &vol->claim_name);
        else if (is(&g, "readOnly"))
          rc = get_bool(dc, g.v, &vol->read_only);
        else
          ignore(dc, &g);
      }
      if (!rc && (!vol->claim_name || !*vol->claim_name))
        return errf_at(dc, f.v, "claimName", "Required value");
    } else if (is(&f, "emptyDir")) {
      vol->source = VOLSRC_EMPTYDIR;
      rc = ytree_want_map(dc->file, f.v, dc->path, dc->d);
    } else if (is(&f, "hostPath")) {
      vol->source = VOLSRC_HOSTPATH;
      rc = ytree_want_map(dc->file, f.v, dc->path, dc->d);
    } else {
      vol->source = VOLSRC_OTHER;
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!vol->name || !*vol->name)
    return errf_at(dc, n, "name", "Required value");
  if (!sources)
    return errf(dc, n, "Required value: must specify a volume type");
  return 0;
}

static const struct enum_val taint_effects[] = {
    {"NoSchedule", TAINT_NO_SCHEDULE},
    {"PreferNoSchedule", TAINT_PREFER_NO_SCHEDULE},
    {"NoExecute", TAINT_NO_EXECUTE},
};

static int decode_toleration(struct dec *dc, const struct ynode *n,
                             struct toleration *t)
{
  static const struct enum_val ops[] = {
      {"Equal", TOLERATE_EQUAL},
      {"Exists", TOLERATE_EXISTS},
  };
  const struct ynode *secs = NULL, *value = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  t->op = TOLERATE_EQUAL;
  t->any_effect = true;
  t->toleration_seconds = -1;
  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "key")) {
      rc = get_str(dc, f.v, &t->key);
    } else if (is(&f, "operator")) {
      rc = GET_ENUM(dc, f.v, ops, &t->op);
    } else if (is(&f, "value")) {
      value = f.v;
      rc = get_str(dc, f.v, &t->value);
    } else if (is(&f, "effect")) {
      const char *s;
      rc = ytree_str(dc->file, f.v, dc->path, &s, dc->d);
      if (!rc && *s) {
        t->any_effect = false;
        rc = GET_ENUM(dc, f.v, taint_effects, &t->effect);
      }
    } else if (is(&f, "tolerationSeconds")) {
      secs = f.v;
      rc = get_i64(dc, f.v, &t->toleration_seconds);
      /* upstream treats a negative value as zero: evict at once */
      if (!rc && t->toleration_seconds < 0)
        t->toleration_seconds = 0;
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if ((!t->key || !*t->key) && t->op != TOLERATE_EXISTS)
    return errf_at(dc, n, "operator",
                   "Invalid value: \"Equal\": operator must be Exists when "
                   "`key` is empty, which means \"match all values and all "
                   "keys\"");
  if (t->op == TOLERATE_EXISTS && t->value && *t->value)
    return errf_at(dc, value, "operator",
                   "Invalid value: \"%s\": value must be empty when "
                   "`operator` is 'Exists'",
                   t->value);
  if (secs && (t->any_effect || t->effect != TAINT_NO_EXECUTE))
    return errf_at(dc, secs, "effect",
                   "Invalid value: \"%s\": effect must be 'NoExecute' when "
                   "`tolerationSeconds` is set",
                   t->any_effect ? "" : taint_effects[t->effect].name);
  return 0;
}

static int decode_pod_affinity_term(struct dec *dc, const struct ynode *n,
                                    struct pod_affinity_term *t)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "labelSelector"))
      rc = decode_label_selector(dc, f.v, &t->selector);
    else if (is(&f, "topologyKey"))
      rc = get_str(dc, f.v, &t->topology_key);
    else if (is(&f, "namespaces"))
      rc = get_strs(dc, f.v, &t->namespaces);
    else
      ignore(dc, &f);
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!t->topology_key || !*t->topology_key)
    return errf_at(dc, n, "topologyKey", "Required value: can not be empty");
  return 0;
}

static int decode_pod_affinity_terms(struct dec *dc, const struct ynode *n,
                                     const struct pod_affinity_term **out,
                                     size_t *nr)
{
  int rc = want_seq(dc, n);
  struct pod_affinity_term *v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  FOR_ITEMS(dc, n, i, base)
  {
    rc = decode_pod_affinity_term(dc, n->items[i], &v[i]);
    if (rc)
      return rc;
  }
  *out = v;
  *nr = n->nr;
  return 0;
}

static int check_weight(struct dec *dc, const struct ynode *item,
                        const struct ynode *w, int32_t weight)
{
  if (!w)
    return errf_at(dc, item, "weight", "Required value");
  if (weight < 1 || weight > 100)
    return errf_at(dc, w, "weight",
                   "Invalid value: %d: must be in the range 1-100", weight);
  return 0;
}

/* preferredDuringScheduling... of podAffinity / podAntiAffinity. */
static int
decode_weighted_pod_terms(struct dec *dc, const struct ynode *n,
                          const struct weighted_pod_affinity_term **out,
                          size_t *nr)
{
  int rc = want_seq(dc, n);
  struct weighted_pod_affinity_term *v;

  if (rc)
    return rc;
  v = n->nr ? arena_calloc(dc->a, n->nr, sizeof(*v)) : NULL;
  FOR_ITEMS(dc, n, i, base)
  {
    const struct ynode *w = NULL, *term = NULL;
    struct fields f;

    rc = fields_begin(dc, n->items[i], &f);
    while (!rc && fields_next(dc, &f, &rc)) {
      if (is(&f, "weight")) {
        w = f.v;
        rc = get_i32(dc, f.v, &v[i].weight);
      } else if (is(&f, "podAffinityTerm")) {
        term = f.v;
        rc = decode_pod_affinity_term(dc, f.v, &v[i].term);
      } else {
        ignore(dc, &f);
      }
    }
    if (rc)
      return rc;
    path_set(dc, f.base);
    rc = check_weight(dc, n->items[i], w, v[i].weight);
    if (!rc && !term)
      rc = errf_at(dc, n->items[i], "podAffinityTerm", "Required value");
    if (rc)
      return rc;
  }
  *out = v;
  *nr = n->nr;
  return 0;
}

static int decode_pod_affinity(struct dec *dc, const struct ynode *n, bool anti,
                               struct affinity *a)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "requiredDuringSchedulingIgnoredDuringExecution")) {
      if (anti)
        rc = decode_pod_affinity_terms(dc, f.v, &a->pod_anti_affinity_required,
                                       &a->pod_anti_affinity_required_nr);
      else
        rc = decode_pod_affinity_terms(dc, f.v, &a->pod_affinity_required,
                                       &a->pod_affinity_required_nr);
    } else if (anti &&
               is(&f, "preferredDuringSchedulingIgnoredDuringExecution")) {
      rc = decode_weighted_pod_terms(dc, f.v, &a->pod_anti_affinity_preferred,
                                     &a->pod_anti_affinity_preferred_nr);
    } else {
      ignore(dc, &f);
    }
  }
  return rc;
}

static int decode_node_affinity(struct dec *dc, const struct ynode *n,
                                struct affinity *a)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "requiredDuringSchedulingIgnoredDuringExecution")) {
      rc = decode_node_selector(dc, f.v, &a->node_required);
    } else if (is(&f, "preferredDuringSchedulingIgnoredDuringExecution")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct weighted_node_term *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        const struct ynode *w = NULL, *pref = NULL;
        struct fields g;

        rc = fields_begin(dc, f.v->items[i], &g);
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "weight")) {
            w = g.v;
            rc = get_i32(dc, g.v, &v[i].weight);
          } else if (is(&g, "preference")) {
            pref = g.v;
            rc = decode_node_term(dc, g.v, &v[i].term);
          } else {
            ignore(dc, &g);
          }
        }
        if (rc)
          return rc;
        path_set(dc, g.base);
        rc = check_weight(dc, f.v->items[i], w, v[i].weight);
        if (!rc && !pref)
          rc = errf_at(dc, f.v->items[i], "preference", "Required value");
        if (rc)
          return rc;
      }
      a->node_preferred = v;
      a->node_preferred_nr = f.v->nr;
    } else {
      ignore(dc, &f);
    }
  }
  return rc;
}

static int decode_affinity(struct dec *dc, const struct ynode *n,
                           struct affinity *a)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "nodeAffinity"))
      rc = decode_node_affinity(dc, f.v, a);
    else if (is(&f, "podAffinity"))
      rc = decode_pod_affinity(dc, f.v, false, a);
    else if (is(&f, "podAntiAffinity"))
      rc = decode_pod_affinity(dc, f.v, true, a);
    else
      ignore(dc, &f);
  }
  return rc;
}

static const struct enum_val restart_policies[] = {
    {"Always", RESTART_ALWAYS},
    {"OnFailure", RESTART_ON_FAILURE},
    {"Never", RESTART_NEVER},
};

/* "Duplicate value" for the second container or volume of the same name. */
static int check_unique_names(struct dec *dc, const struct ynode *seq,
                              const char *(*name_of)(const void *, size_t),
                              const void *v, size_t nr)
{
  for (size_t i = 1; i < nr; i++) {
    for (size_t j = 0; j < i; j++) {
      if (strcmp(name_of(v, i), name_of(v, j)))
        continue;
      path_index(dc, i);
      path_key(dc, "name");
      const struct ynode *at = seq->items[i];
      const struct ynode *nn = ytree_get(at, "name");
      return errf(dc, nn ? nn : at, "Duplicate value: \"%s\"", name_of(v, i));
    }
  }
  return 0;
}

static const char *container_name(const void *v, size_t i)
{
  return ((const struct container *)v)[i].name;
}

static const char *volume_name(const void *v, size_t i)
{
  return ((const struct pod_volume *)v)[i].name;
}

/*
 * A PodSpec (bare pods and templates). restartPolicy defaults to Always,
 * terminationGracePeriodSeconds to 30.
 */
static int decode_pod_spec(struct dec *dc, const struct ynode *n,
                           struct pod_spec *ps)
{
  const struct ynode *containers = NULL, *init = NULL, *volumes = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  ps->restart_policy = RESTART_ALWAYS;
  ps->termination_grace_period_seconds = 30;
  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "containers")) {
      containers = f.v;
      rc = decode_containers(dc, f.v, &ps->containers, &ps->containers_nr);
    } else if (is(&f, "initContainers")) {
      init = f.v;
      rc = decode_containers(dc, f.v, &ps->init_containers,
                             &ps->init_containers_nr);
    } else if (is(&f, "volumes")) {
      volumes = f.v;
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct pod_volume *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        rc = decode_volume(dc, f.v->items[i], &v[i]);
        if (rc)
          return rc;
      }
      ps->volumes = v;
      ps->volumes_nr = f.v->nr;
    } else if (is(&f, "nodeName")) {
      rc = get_str(dc, f.v, &ps->node_name);
      if (!rc && !*ps->node_name)
        ps->node_name = NULL;
    } else if (is(&f, "nodeSelector")) {
      rc = get_labels(dc, f.v, &ps->node_selector);
    } else if (is(&f, "affinity")) {
      rc = decode_affinity(dc, f.v, &ps->affinity);
    } else if (is(&f, "tolerations")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct toleration *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        rc = decode_toleration(dc, f.v->items[i], &v[i]);
        if (rc)
          return rc;
      }
      ps->tolerations = v;
      ps->tolerations_nr = f.v->nr;
    } else if (is(&f, "hostname")) {
      rc = get_str(dc, f.v, &ps->hostname);
      if (!rc && *ps->hostname)
        rc = check_name(dc, f.v, ps->hostname, NAME_LABEL);
    } else if (is(&f, "subdomain")) {
      rc = get_str(dc, f.v, &ps->subdomain);
      if (!rc && *ps->subdomain)
        rc = check_name(dc, f.v, ps->subdomain, NAME_LABEL);
    } else if (is(&f, "schedulerName")) {
      rc = get_str(dc, f.v, &ps->scheduler_name);
    } else if (is(&f, "restartPolicy")) {
      rc = GET_ENUM(dc, f.v, restart_policies, &ps->restart_policy);
    } else if (is(&f, "terminationGracePeriodSeconds")) {
      rc = get_nonneg_i64(dc, f.v, &ps->termination_grace_period_seconds);
    } else if (is(&f, "priority")) {
      rc = get_i32(dc, f.v, &ps->priority);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!containers || !containers->nr)
    return errf_at(dc, containers ? containers : n, "containers",
                   "Required value");
  base = path_key(dc, "containers");
  rc = check_unique_names(dc, containers, container_name, ps->containers,
                          ps->containers_nr);
  path_set(dc, base);
  if (!rc && init) {
    base = path_key(dc, "initContainers");
    rc = check_unique_names(dc, init, container_name, ps->init_containers,
                            ps->init_containers_nr);
    path_set(dc, base);
  }
  if (!rc && volumes) {
    base = path_key(dc, "volumes");
    rc = check_unique_names(dc, volumes, volume_name, ps->volumes,
                            ps->volumes_nr);
    path_set(dc, base);
  }
  return rc;
}

/*
 * Every volumeMounts[].name must name a pod volume or (StatefulSets) a
 * volume claim template: upstream's "Not found".
 */
static int check_mounts_of(struct dec *dc, const struct ynode *seq,
                           const char *field, const struct container *cs,
                           size_t nr, const struct pod_spec *ps,
                           const struct pvc_template *claims, size_t claims_nr)
{
  for (size_t i = 0; i < nr; i++) {
    for (size_t j = 0; j < cs[i].volume_mounts.nr; j++) {
      const char *name = cs[i].volume_mounts.v[j];
      bool found = false;

      for (size_t k = 0; k < ps->volumes_nr && !found; k++)
        found = !strcmp(ps->volumes[k].name, name);
      for (size_t k = 0; k < claims_nr && !found; k++)
        found = !strcmp(claims[k].name, name);
      if (found)
        continue;
      const struct ynode *at = seq->items[i];
      const struct ynode *mounts = ytree_get(at, "volumeMounts");
      if (mounts && mounts->type == Y_SEQ && j < mounts->nr) {
        at = mounts->items[j];
        if (ytree_get(at, "name"))
          at = ytree_get(at, "name");
      }
      path_append(dc, "%s%s[%zu].volumeMounts[%zu].name", dc->len ? "." : "",
                  field, i, j);
      return errf(dc, at, "Not found: \"%s\"", name);
    }
  }
  return 0;
}

static int check_mounts(struct dec *dc, const struct ynode *spec,
                        const struct pod_spec *ps,
                        const struct pvc_template *claims, size_t claims_nr)
{
  size_t base = dc->len;
  int rc = 0;

  if (ps->containers_nr)
    rc = check_mounts_of(dc, ytree_get(spec, "containers"), "containers",
                         ps->containers, ps->containers_nr, ps, claims,
                         claims_nr);
  if (!rc && ps->init_containers_nr)
    rc = check_mounts_of(dc, ytree_get(spec, "initContainers"),
                         "initContainers", ps->init_containers,
                         ps->init_containers_nr, ps, claims, claims_nr);
  if (!rc)
    path_set(dc, base);
  return rc;
}

/* A template's metadata: labels and annotations; the rest is ignored. */
static int decode_template_meta(struct dec *dc, const struct ynode *n,
                                struct kv_list *labels,
                                struct kv_list *annotations)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "labels"))
      rc = get_labels(dc, f.v, labels);
    else if (is(&f, "annotations"))
      rc = get_kv(dc, f.v, annotations);
    else
      ignore(dc, &f);
  }
  return rc;
}

/* A PodTemplateSpec; *spec_node gets the template's spec for later checks. */
static int decode_pod_template(struct dec *dc, const struct ynode *n,
                               struct pod_template *t,
                               const struct ynode **spec_node)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  *spec_node = NULL;
  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "metadata")) {
      rc = decode_template_meta(dc, f.v, &t->labels, &t->annotations);
    } else if (is(&f, "spec")) {
      *spec_node = f.v;
      rc = decode_pod_spec(dc, f.v, &t->spec);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!*spec_node)
    return errf_at(dc, n, "spec.containers", "Required value");
  return 0;
}

/* ---- storage ----------------------------------------------------------- */

static const struct enum_val access_modes[] = {
    {"ReadOnlyMany", ACCESS_ROX},
    {"ReadWriteMany", ACCESS_RWX},
    {"ReadWriteOnce", ACCESS_RWO},
    {"ReadWriteOncePod", ACCESS_RWOP},
};

static int decode_access_modes(struct dec *dc, const struct ynode *n,
                               unsigned *out)
{
  unsigned modes = 0;
  int rc = want_seq(dc, n);

  if (rc)
    return rc;
  FOR_ITEMS(dc, n, i, base)
  {
    int m;

    rc = get_enum(dc, n->items[i], access_modes, ARRAY_NR(access_modes), &m);
    if (rc)
      return rc;
    modes |= (unsigned)m;
  }
  if ((modes & ACCESS_RWOP) && modes != ACCESS_RWOP)
    return errf(dc, n,
                "Forbidden: may not use ReadWriteOncePod with other access "
                "modes");
  *out = modes;
  return 0;
}

static const struct enum_val volume_modes[] = {
    {"Block", VOLMODE_BLOCK},
    {"Filesystem", VOLMODE_FILESYSTEM},
};

/* A PersistentVolumeClaimSpec (claims and claim templates). */
static int decode_pvc_spec(struct dec *dc, const struct ynode *n,
                           struct pvc_spec *ps)
{
  const struct ynode *modes = NULL, *storage = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "accessModes")) {
      modes = f.v;
      rc = decode_access_modes(dc, f.v, &ps->access_modes);
    } else if (is(&f, "resources")) {
      struct fields g;

      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (!is(&g, "requests")) {
          ignore(dc, &g);
          continue;
        }
        struct fields h;
        rc = fields_begin(dc, g.v, &h);
        while (!rc && fields_next(dc, &h, &rc)) {
          if (is(&h, "storage")) {
            storage = h.v;
            rc = get_quantity(dc, h.v, 0, "1Gi, 500Mi", &ps->request_bytes);
            if (!rc && ps->request_bytes == 0)
              rc = errf(dc, h.v,
                        "Invalid value: \"%s\": must be greater than zero",
                        h.v->str);
          } else {
            ignore(dc, &h);
          }
        }
      }
    } else if (is(&f, "storageClassName")) {
      rc = get_str(dc, f.v, &ps->storage_class_name);
    } else if (is(&f, "volumeMode")) {
      rc = GET_ENUM(dc, f.v, volume_modes, &ps->volume_mode);
    } else if (is(&f, "volumeName")) {
      rc = get_str(dc, f.v, &ps->volume_name);
      if (!rc && !*ps->volume_name)
        ps->volume_name = NULL;
    } else if (is(&f, "selector")) {
      ps->has_selector = true;
      rc = decode_label_selector(dc, f.v, &ps->selector);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!modes || !ps->access_modes)
    return errf_at(dc, modes ? modes : n, "accessModes",
                   "Required value: at least 1 access mode is required");
  if (!storage)
    return errf_at(dc, n, "resources.requests.storage", "Required value");
  return 0;
}

static int decode_claim_template(struct dec *dc, const struct ynode *n,
                                 struct pvc_template *t)
{
  const struct ynode *meta = NULL, *spec = NULL, *name = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "metadata")) {
      struct fields g;

      meta = f.v;
      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "name")) {
          name = g.v;
          rc = get_str(dc, g.v, &t->name);
          if (!rc && *t->name)
            rc = check_name(dc, g.v, t->name, NAME_LABEL);
        } else if (is(&g, "labels")) {
          rc = get_labels(dc, g.v, &t->labels);
        } else if (is(&g, "annotations")) {
          rc = get_kv(dc, g.v, &t->annotations);
        } else {
          ignore(dc, &g);
        }
      }
    } else if (is(&f, "spec")) {
      spec = f.v;
      rc = decode_pvc_spec(dc, f.v, &t->spec);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!t->name || !*t->name)
    return errf_at(dc,
                   name   ? name
                   : meta ? meta
                          : n,
                   "metadata.name", "Required value");
  if (!spec)
    return errf_at(dc, n, "spec.accessModes",
                   "Required value: at least 1 access mode is required");
  return 0;
}

/* ---- kinds ------------------------------------------------------------- */

static int check_max_unavailable(struct dec *dc, const struct ynode *v,
                                 const struct int_or_percent *x, bool sts)
{
  char got[RENDER_MAX];

  render(v, got, sizeof(got));
  if (x->value < 0)
    return errf(dc, v, "Invalid value: %s: must be greater than or equal to 0",
                got);
  if (x->is_percent && x->value > 100)
    return errf(dc, v, "Invalid value: %s: must not be greater than 100%%",
                got);
  if (sts && x->value == 0)
    return errf(dc, v, "Invalid value: %s: cannot be 0", got);
  return 0;
}

static int decode_update_strategy(struct dec *dc, const struct ynode *n,
                                  struct statefulset_spec *ss)
{
  static const struct enum_val types[] = {
      {"OnDelete", UPDATE_ON_DELETE},
      {"RollingUpdate", UPDATE_ROLLING},
  };
  const struct ynode *rolling = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "type")) {
      rc = GET_ENUM(dc, f.v, types, &ss->update_strategy);
    } else if (is(&f, "rollingUpdate")) {
      struct fields g;

      rolling = f.k;
      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "partition")) {
          rc = get_nonneg_i32(dc, g.v, &ss->partition);
        } else if (is(&g, "maxUnavailable")) {
          rc = get_int_or_percent(dc, g.v, &ss->max_unavailable);
          if (!rc)
            rc = check_max_unavailable(dc, g.v, &ss->max_unavailable, true);
        } else {
          ignore(dc, &g);
        }
      }
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (rolling && ss->update_strategy == UPDATE_ON_DELETE)
    return errf_at(dc, rolling, "rollingUpdate",
                   "Forbidden: only allowed for updateStrategy "
                   "'RollingUpdate'");
  return 0;
}

static int decode_retention(struct dec *dc, const struct ynode *n,
                            struct statefulset_spec *ss)
{
  static const struct enum_val policies[] = {
      {"Retain", RETAIN},
      {"Delete", DELETE},
  };
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "whenDeleted"))
      rc = GET_ENUM(dc, f.v, policies, &ss->when_deleted);
    else if (is(&f, "whenScaled"))
      rc = GET_ENUM(dc, f.v, policies, &ss->when_scaled);
    else
      ignore(dc, &f);
  }
  return rc;
}

static int decode_statefulset_spec(struct dec *dc, const struct ynode *n,
                                   struct statefulset_spec *ss)
{
  static const struct enum_val pmp[] = {
      {"OrderedReady", PMP_ORDERED_READY},
      {"Parallel", PMP_PARALLEL},
  };
  const struct ynode *selector = NULL, *template_ = NULL, *tspec = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  ss->replicas = 1;
  ss->revision_history_limit = 10;
  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "replicas")) {
      rc = get_nonneg_i32(dc, f.v, &ss->replicas);
    } else if (is(&f, "selector")) {
      selector = f.v;
      rc = decode_label_selector(dc, f.v, &ss->selector);
    } else if (is(&f, "template")) {
      template_ = f.v;
      rc = decode_pod_template(dc, f.v, &ss->template_, &tspec);
    } else if (is(&f, "volumeClaimTemplates")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct pvc_template *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        rc = decode_claim_template(dc, f.v->items[i], &v[i]);
        if (rc)
          return rc;
        for (size_t j = 0; j < i; j++) {
          if (strcmp(v[j].name, v[i].name))
            continue;
          const struct ynode *meta = ytree_get(f.v->items[i], "metadata");
          const struct ynode *nm = ytree_get(meta, "name");
          path_key(dc, "metadata.name");
          return errf(dc, nm ? nm : f.v->items[i], "Duplicate value: \"%s\"",
                      v[i].name);
        }
      }
      ss->volume_claim_templates = v;
      ss->volume_claim_templates_nr = f.v->nr;
    } else if (is(&f, "serviceName")) {
      rc = get_str(dc, f.v, &ss->service_name);
    } else if (is(&f, "podManagementPolicy")) {
      rc = GET_ENUM(dc, f.v, pmp, &ss->pod_management_policy);
    } else if (is(&f, "updateStrategy")) {
      rc = decode_update_strategy(dc, f.v, ss);
    } else if (is(&f, "revisionHistoryLimit")) {
      rc = get_nonneg_i32(dc, f.v, &ss->revision_history_limit);
    } else if (is(&f, "minReadySeconds")) {
      rc = get_nonneg_i32(dc, f.v, &ss->min_ready_seconds);
    } else if (is(&f, "persistentVolumeClaimRetentionPolicy")) {
      rc = decode_retention(dc, f.v, ss);
    } else if (is(&f, "ordinals")) {
      struct fields g;

      ss->has_ordinals = true;
      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "start"))
          rc = get_nonneg_i32(dc, g.v, &ss->ordinals_start);
        else
          ignore(dc, &g);
      }
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);

  char buf[RENDER_MAX * 2];
  if (!selector)
    return errf_at(dc, n, "selector", "Required value");
  if (selector_is_empty(&ss->selector))
    return errf_at(dc, selector, "selector",
                   "Invalid value: %s: empty selector is invalid for "
                   "statefulset",
                   render(selector, buf, sizeof(buf)));
  if (!template_)
    return errf_at(dc, n, "template.spec.containers", "Required value");
  if (!selector_matches(&ss->selector, &ss->template_.labels)) {
    const struct ynode *meta = ytree_get(template_, "metadata");
    const struct ynode *labels = ytree_get(meta, "labels");
    const struct ynode *at = labels ? labels : meta ? meta : template_;

    return errf_at(dc, at, "template.metadata.labels",
                   "Invalid value: %s: `selector` does not match template "
                   "`labels`",
                   render_labels(&ss->template_.labels, buf, sizeof(buf)));
  }
  if (ss->template_.spec.restart_policy != RESTART_ALWAYS) {
    const struct ynode *rp = ytree_get(tspec, "restartPolicy");

    return errf_at(dc, rp, "template.spec.restartPolicy",
                   "Unsupported value: \"%s\": supported values: \"Always\"",
                   rp->str);
  }
  path_key(dc, "template.spec");
  rc = check_mounts(dc, tspec, &ss->template_.spec, ss->volume_claim_templates,
                    ss->volume_claim_templates_nr);
  path_set(dc, base);
  return rc;
}

static int decode_pv_spec(struct dec *dc, const struct ynode *n,
                          struct pv_spec *ps)
{
  static const struct enum_val reclaim[] = {
      {"Delete", RECLAIM_DELETE},
      {"Recycle", RECLAIM_RECYCLE},
      {"Retain", RECLAIM_RETAIN},
  };
  const struct ynode *modes = NULL, *storage = NULL, *affinity = NULL;
  const struct ynode *source = NULL;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  ps->reclaim_policy = RECLAIM_RETAIN;
  while (!rc && fields_next(dc, &f, &rc)) {
    bool src = is_volume_source(f.key) && !is(&f, "persistentVolumeClaim") &&
               !is(&f, "configMap") && !is(&f, "secret") &&
               !is(&f, "downwardAPI") && !is(&f, "projected") &&
               !is(&f, "emptyDir") && !is(&f, "ephemeral") &&
               !is(&f, "gitRepo") && !is(&f, "image");
    bool is_local = is(&f, "local");

    if (src || is_local) {
      struct fields g;

      if (source)
        return errf(dc, f.k,
                    "Forbidden: may not specify more than 1 volume type");
      source = f.v;
      rc = fields_begin(dc, f.v, &g);
      if (is(&f, "hostPath") || is_local) {
        ps->source = is_local ? PVSRC_LOCAL : PVSRC_HOSTPATH;
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "path"))
            rc = get_str(dc, g.v, &ps->path);
          else
            ignore(dc, &g);
        }
        if (!rc && (!ps->path || !*ps->path))
          return errf_at(dc, f.v, "path", "Required value");
      } else if (is(&f, "csi")) {
        ps->source = PVSRC_CSI;
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "driver"))
            rc = get_str(dc, g.v, &ps->csi_driver);
          else if (is(&g, "volumeHandle"))
            rc = get_str(dc, g.v, &ps->volume_handle);
          else
            ignore(dc, &g);
        }
        if (!rc && (!ps->csi_driver || !*ps->csi_driver))
          return errf_at(dc, f.v, "driver", "Required value");
        if (!rc && (!ps->volume_handle || !*ps->volume_handle))
          return errf_at(dc, f.v, "volumeHandle", "Required value");
      } else if (is(&f, "nfs")) {
        ps->source = PVSRC_NFS;
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "path"))
            rc = get_str(dc, g.v, &ps->path);
          else
            ignore(dc, &g);
        }
      } else if (is(&f, "gcePersistentDisk") ||
                 is(&f, "awsElasticBlockStore") || is(&f, "azureDisk")) {
        /* CSI migration: the in-tree plugin is served by the CSI driver. */
        const char *id_key = is(&f, "gcePersistentDisk") ? "pdName"
                             : is(&f, "azureDisk")       ? "diskURI"
                                                         : "volumeID";
        ps->source = PVSRC_CSI;
        ps->csi_driver = is(&f, "gcePersistentDisk") ? "pd.csi.storage.gke.io"
                         : is(&f, "azureDisk")       ? "disk.csi.azure.com"
                                                     : "ebs.csi.aws.com";
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, id_key))
            rc = get_str(dc, g.v, &ps->volume_handle);
          else
            ignore(dc, &g);
        }
        if (!rc && (!ps->volume_handle || !*ps->volume_handle))
          return errf_at(dc, f.v, id_key, "Required value");
      } else {
        ps->source = PVSRC_OTHER;
        ignore(dc, &f);
      }
    } else if (is(&f, "capacity")) {
      struct fields g;

      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "storage")) {
          storage = g.v;
          rc = get_quantity(dc, g.v, 0, "1Gi, 500Mi", &ps->capacity_bytes);
        } else {
          ignore(dc, &g);
        }
      }
    } else if (is(&f, "accessModes")) {
      modes = f.v;
      rc = decode_access_modes(dc, f.v, &ps->access_modes);
    } else if (is(&f, "persistentVolumeReclaimPolicy")) {
      rc = GET_ENUM(dc, f.v, reclaim, &ps->reclaim_policy);
    } else if (is(&f, "storageClassName")) {
      rc = get_str(dc, f.v, &ps->storage_class_name);
    } else if (is(&f, "volumeMode")) {
      rc = GET_ENUM(dc, f.v, volume_modes, &ps->volume_mode);
    } else if (is(&f, "claimRef")) {
      struct fields g;
      const char *uid = NULL;

      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "namespace"))
          rc = get_str(dc, g.v, &ps->claim_ref.namespace_);
        else if (is(&g, "name"))
          rc = get_str(dc, g.v, &ps->claim_ref.name);
        else if (is(&g, "uid"))
          rc = get_str(dc, g.v, &uid);
        else
          ignore(dc, &g);
      }
      if (!rc && uid && *uid)
        ps->claim_ref.uid = uid_of(uid);
      if (!rc && ps->claim_ref.name && !*ps->claim_ref.name)
        ps->claim_ref.name = NULL;
      if (!rc && ps->claim_ref.name &&
          (!ps->claim_ref.namespace_ || !*ps->claim_ref.namespace_))
        ps->claim_ref.namespace_ = "default";
    } else if (is(&f, "nodeAffinity")) {
      struct fields g;

      affinity = f.v;
      rc = fields_begin(dc, f.v, &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "required"))
          rc = decode_node_selector(dc, g.v, &ps->node_affinity);
        else
          ignore(dc, &g);
      }
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (!storage)
    return errf_at(dc, n, "capacity", "Required value");
  if (!modes || !ps->access_modes)
    return errf_at(dc, modes ? modes : n, "accessModes",
                   "Required value: at least 1 access mode is required");
  if (!source)
    return errf(dc, n, "Required value: must specify a volume type");
  if (ps->source == PVSRC_LOCAL && !ps->node_affinity.terms_nr)
    return errf_at(dc, affinity ? affinity : n, "nodeAffinity",
                   "Required value: Local volume requires node affinity");
  return 0;
}

static int decode_storage_class(struct dec *dc, struct fields *f,
                                struct storage_class *sc)
{
  static const struct enum_val reclaim[] = {
      {"Delete", RECLAIM_DELETE},
      {"Retain", RECLAIM_RETAIN},
  };
  static const struct enum_val modes[] = {
      {"Immediate", BINDING_IMMEDIATE},
      {"WaitForFirstConsumer", BINDING_WAIT_FOR_FIRST_CONSUMER},
  };
  int rc = 0;

  if (is(f, "provisioner")) {
    rc = get_str(dc, f->v, &sc->provisioner);
  } else if (is(f, "parameters")) {
    rc = get_kv(dc, f->v, &sc->parameters);
  } else if (is(f, "reclaimPolicy")) {
    rc = GET_ENUM(dc, f->v, reclaim, &sc->reclaim_policy);
  } else if (is(f, "volumeBindingMode")) {
    rc = GET_ENUM(dc, f->v, modes, &sc->volume_binding_mode);
  } else if (is(f, "allowVolumeExpansion")) {
    rc = get_bool(dc, f->v, &sc->allow_volume_expansion);
  } else if (is(f, "allowedTopologies")) {
    rc = want_seq(dc, f->v);
    if (rc)
      return rc;
    struct node_selector_term *terms =
        f->v->nr ? arena_calloc(dc->a, f->v->nr, sizeof(*terms)) : NULL;
    FOR_ITEMS(dc, f->v, i, b)
    {
      struct fields g;

      rc = fields_begin(dc, f->v->items[i], &g);
      while (!rc && fields_next(dc, &g, &rc)) {
        if (!is(&g, "matchLabelExpressions")) {
          ignore(dc, &g);
          continue;
        }
        rc = want_seq(dc, g.v);
        if (rc)
          return rc;
        struct selector_req *reqs =
            g.v->nr ? arena_calloc(dc->a, g.v->nr, sizeof(*reqs)) : NULL;
        FOR_ITEMS(dc, g.v, j, bb)
        {
          struct fields h;

          rc = fields_begin(dc, g.v->items[j], &h);
          reqs[j].op = SEL_IN;
          while (!rc && fields_next(dc, &h, &rc)) {
            if (is(&h, "key"))
              rc = get_str(dc, h.v, &reqs[j].key);
            else if (is(&h, "values"))
              rc = get_strs(dc, h.v, &reqs[j].values);
            else
              ignore(dc, &h);
          }
          if (rc)
            return rc;
          path_set(dc, h.base);
          if (!reqs[j].key || !*reqs[j].key)
            return errf_at(dc, g.v->items[j], "key", "Required value");
          if (!reqs[j].values.nr)
            return errf_at(dc, g.v->items[j], "values",
                           "Required value: must specify as least one value "
                           "for label expression");
        }
        terms[i].exprs = reqs;
        terms[i].exprs_nr = g.v->nr;
      }
      if (rc)
        return rc;
    }
    sc->allowed_topologies.terms = terms;
    sc->allowed_topologies.terms_nr = f->v->nr;
  } else {
    ignore(dc, f);
  }
  return rc;
}

static int decode_node_spec(struct dec *dc, const struct ynode *n,
                            struct node *node)
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "unschedulable")) {
      rc = get_bool(dc, f.v, &node->unschedulable);
    } else if (is(&f, "taints")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct taint *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        bool has_effect = false;
        struct fields g;

        v[i].time_added = SIMTIME_NEVER;
        rc = fields_begin(dc, f.v->items[i], &g);
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "key")) {
            rc = get_str(dc, g.v, &v[i].key);
          } else if (is(&g, "value")) {
            rc = get_str(dc, g.v, &v[i].value);
          } else if (is(&g, "effect")) {
            has_effect = true;
            rc = GET_ENUM(dc, g.v, taint_effects, &v[i].effect);
          } else {
            ignore(dc, &g);
          }
        }
        if (rc)
          return rc;
        path_set(dc, g.base);
        if (!v[i].key || !*v[i].key)
          return errf_at(dc, f.v->items[i], "key", "Required value");
        if (!has_effect)
          return errf_at(dc, f.v->items[i], "effect", "Required value");
        if (!v[i].value)
          v[i].value = "";
      }
      node->taints = v;
      node->taints_nr = f.v->nr;
    } else {
      ignore(dc, &f);
    }
  }
  return rc;
}

/* status.capacity / status.allocatable: cpu, memory, pods. */
static int decode_node_resources(struct dec *dc, const struct ynode *n,
                                 int64_t res[3])
{
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "cpu"))
      rc = get_quantity(dc, f.v, 3, "4, 3500m", &res[0]);
    else if (is(&f, "memory"))
      rc = get_quantity(dc, f.v, 0, "16Gi, 8000Mi", &res[1]);
    else if (is(&f, "pods"))
      rc = get_quantity(dc, f.v, 0, "110", &res[2]);
    else
      ignore(dc, &f);
  }
  return rc;
}

static int decode_node_status(struct dec *dc, const struct ynode *n,
                              struct node *node)
{
  int64_t cap[3] = {-1, -1, -1}, alloc[3] = {-1, -1, -1};
  static const int64_t defaults[3] = {4000, INT64_C(16) << 30, 110};
  struct fields f;
  int rc = fields_begin(dc, n, &f);

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "capacity"))
      rc = decode_node_resources(dc, f.v, cap);
    else if (is(&f, "allocatable"))
      rc = decode_node_resources(dc, f.v, alloc);
    else
      ignore(dc, &f);
  }
  if (rc)
    return rc;
  for (int i = 0; i < 3; i++) {
    int64_t v = alloc[i] >= 0 ? alloc[i] : cap[i] >= 0 ? cap[i] : defaults[i];

    if (i == 0)
      node->cpu_allocatable_milli = v;
    else if (i == 1)
      node->memory_allocatable = v;
    else
      node->pods_allocatable = v;
  }
  return 0;
}

static int decode_service_spec(struct dec *dc, const struct ynode *n,
                               struct service *svc)
{
  static const struct enum_val types[] = {
      {"ClusterIP", 0},
      {"ExternalName", 1},
      {"LoadBalancer", 2},
      {"NodePort", 3},
  };
  const struct ynode *type_node = NULL;
  int type = 0;
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "clusterIP")) {
      rc = get_str(dc, f.v, &svc->cluster_ip);
      if (!rc)
        svc->headless = !strcmp(svc->cluster_ip, "None");
    } else if (is(&f, "selector")) {
      rc = get_labels(dc, f.v, &svc->selector);
    } else if (is(&f, "publishNotReadyAddresses")) {
      rc = get_bool(dc, f.v, &svc->publish_not_ready_addresses);
    } else if (is(&f, "type")) {
      type_node = f.v;
      rc = get_enum(dc, f.v, types, ARRAY_NR(types), &type);
    } else if (is(&f, "ports")) {
      rc = want_seq(dc, f.v);
      if (rc)
        break;
      struct service_port *v =
          f.v->nr ? arena_calloc(dc->a, f.v->nr, sizeof(*v)) : NULL;
      FOR_ITEMS(dc, f.v, i, b)
      {
        const struct ynode *port = NULL;
        struct fields g;

        v[i].protocol = "TCP";
        rc = fields_begin(dc, f.v->items[i], &g);
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "name")) {
            rc = get_str(dc, g.v, &v[i].name);
          } else if (is(&g, "port")) {
            port = g.v;
            rc = get_i32(dc, g.v, &v[i].port);
            if (!rc && (v[i].port < 1 || v[i].port > 65535))
              rc = errf(dc, g.v,
                        "Invalid value: %d: must be between 1 and 65535, "
                        "inclusive",
                        v[i].port);
          } else if (is(&g, "protocol")) {
            static const struct enum_val protos[] = {
                {"SCTP", 0}, {"TCP", 1}, {"UDP", 2}};
            int p;
            rc = get_enum(dc, g.v, protos, ARRAY_NR(protos), &p);
            if (!rc)
              v[i].protocol = protos[p].name;
          } else {
            ignore(dc, &g);
          }
        }
        if (rc)
          return rc;
        path_set(dc, g.base);
        if (!port)
          return errf_at(dc, f.v->items[i], "port", "Required value");
      }
      svc->ports = v;
      svc->ports_nr = f.v->nr;
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (svc->headless && type != 0)
    return errf_at(dc, type_node, "type",
                   "Invalid value: \"%s\": may not be set when `clusterIP` is "
                   "`None`",
                   types[type].name);
  return 0;
}

static int decode_pdb_spec(struct dec *dc, const struct ynode *n, struct pdb *p)
{
  static const struct enum_val unhealthy[] = {
      {"IfHealthyBudget", UNHEALTHY_IF_HEALTHY_BUDGET},
      {"AlwaysAllow", UNHEALTHY_ALWAYS_ALLOW},
  };
  struct fields f;
  int rc = fields_begin(dc, n, &f);
  size_t base = dc->len;

  while (!rc && fields_next(dc, &f, &rc)) {
    if (is(&f, "minAvailable") || is(&f, "maxUnavailable")) {
      struct int_or_percent *x =
          is(&f, "minAvailable") ? &p->min_available : &p->max_unavailable;

      rc = get_int_or_percent(dc, f.v, x);
      if (!rc)
        rc = check_max_unavailable(dc, f.v, x, false);
    } else if (is(&f, "selector")) {
      rc = decode_label_selector(dc, f.v, &p->selector);
    } else if (is(&f, "unhealthyPodEvictionPolicy")) {
      rc = GET_ENUM(dc, f.v, unhealthy, &p->unhealthy_pod_eviction_policy);
    } else {
      ignore(dc, &f);
    }
  }
  if (rc)
    return rc;
  path_set(dc, base);
  if (p->min_available.set && p->max_unavailable.set) {
    char buf[RENDER_MAX];

    return errf(dc, n,
                "Invalid value: %s: minAvailable and maxUnavailable cannot be "
                "both set",
                render(n, buf, sizeof(buf)));
  }
  return 0;
}

static int decode_endpoint_slice(struct dec *dc, struct fields *f,
                                 struct endpoint_slice *es)
{
  int rc = 0;

  if (!is(f, "endpoints")) {
    ignore(dc, f);
    return 0;
  }
  rc = want_seq(dc, f->v);
  if (rc)
    return rc;
  struct endpoint *v =
      f->v->nr ? arena_calloc(dc->a, f->v->nr, sizeof(*v)) : NULL;
  FOR_ITEMS(dc, f->v, i, b)
  {
    struct fields g;

    v[i].ready = v[i].serving = true;
    rc = fields_begin(dc, f->v->items[i], &g);
    while (!rc && fields_next(dc, &g, &rc)) {
      if (is(&g, "addresses")) {
        struct str_list addrs = {0};

        rc = get_strs(dc, g.v, &addrs);
        if (!rc && addrs.nr)
          v[i].address = addrs.v[0];
      } else if (is(&g, "hostname")) {
        rc = get_str(dc, g.v, &v[i].hostname);
      } else if (is(&g, "nodeName")) {
        rc = get_str(dc, g.v, &v[i].node_name);
      } else if (is(&g, "conditions")) {
        struct fields h;

        rc = fields_begin(dc, g.v, &h);
        while (!rc && fields_next(dc, &h, &rc)) {
          if (is(&h, "ready"))
            rc = get_bool(dc, h.v, &v[i].ready);
          else if (is(&h, "serving"))
            rc = get_bool(dc, h.v, &v[i].serving);
          else if (is(&h, "terminating"))
            rc = get_bool(dc, h.v, &v[i].terminating);
          else
            ignore(dc, &h);
        }
      } else if (is(&g, "targetRef")) {
        struct fields h;
        const char *uid = NULL;

        rc = fields_begin(dc, g.v, &h);
        while (!rc && fields_next(dc, &h, &rc)) {
          if (is(&h, "name"))
            rc = get_str(dc, h.v, &v[i].target_pod);
          else if (is(&h, "uid"))
            rc = get_str(dc, h.v, &uid);
          else
            ignore(dc, &h);
        }
        if (!rc && uid && *uid)
          v[i].target_uid = uid_of(uid);
      } else {
        ignore(dc, &g);
      }
    }
    if (rc)
      return rc;
  }
  es->endpoints = v;
  es->endpoints_nr = f->v->nr;
  return 0;
}

/* ---- documents --------------------------------------------------------- */

/* Top-level fields of kinds that have no spec (StorageClass, ...). */
static int decode_top_field(struct dec *dc, struct fields *f, struct object *o,
                            const struct ynode **rev_data)
{
  switch (o->kind) {
  case KIND_STORAGECLASS:
    return decode_storage_class(dc, f, &o->u.sc);
  case KIND_ENDPOINTSLICE:
    return decode_endpoint_slice(dc, f, &o->u.eps);
  case KIND_CONTROLLERREVISION:
    if (is(f, "revision"))
      return get_i64(dc, f->v, &o->u.rev.revision);
    if (is(f, "data")) {
      *rev_data = f->v;
      return 0;
    }
    break;
  case KIND_EVENT: {
    static const struct enum_val types[] = {
        {"Normal", EVENT_NORMAL},
        {"Warning", EVENT_WARNING},
    };
    struct event *ev = &o->u.ev;

    if (is(f, "reason"))
      return get_str(dc, f->v, &ev->reason);
    if (is(f, "message"))
      return get_str(dc, f->v, &ev->message);
    if (is(f, "type"))
      return GET_ENUM(dc, f->v, types, &ev->type);
    if (is(f, "count"))
      return get_i32(dc, f->v, &ev->count);
    if (is(f, "involvedObject")) {
      struct fields g;
      int rc = fields_begin(dc, f->v, &g);

      while (!rc && fields_next(dc, &g, &rc)) {
        if (is(&g, "kind")) {
          const char *k;
          rc = get_str(dc, g.v, &k);
          for (int kk = KIND_NONE + 1; !rc && kk < KIND_COUNT; kk++)
            if (!strcmp(obj_kind_name((enum obj_kind)kk), k))
              ev->involved_kind = (enum obj_kind)kk;
        } else if (is(&g, "name")) {
          rc = get_str(dc, g.v, &ev->involved_name);
        } else if (is(&g, "namespace")) {
          rc = get_str(dc, g.v, &ev->involved_namespace);
        } else {
          ignore(dc, &g);
        }
      }
      return rc;
    }
    break;
  }
  default:
    break;
  }
  ignore(dc, f);
  return 0;
}

static int decode_spec(struct dec *dc, const struct ynode *spec,
                       struct object *o, const struct ynode **pod_spec)
{
  switch (o->kind) {
  case KIND_STATEFULSET:
    return decode_statefulset_spec(dc, spec, &o->u.sts.spec);
  case KIND_POD:
    *pod_spec = spec;
    return decode_pod_spec(dc, spec, &o->u.pod.spec);
  case KIND_PVC:
    return decode_pvc_spec(dc, spec, &o->u.pvc.spec);
  case KIND_PV:
    return decode_pv_spec(dc, spec, &o->u.pv.spec);
  case KIND_NODE:
    return decode_node_spec(dc, spec, &o->u.node);
  case KIND_SERVICE:
    return decode_service_spec(dc, spec, &o->u.svc);
  case KIND_PDB:
    return decode_pdb_spec(dc, spec, &o->u.pdb);
  case KIND_LEASE: {
    struct fields f;
    int rc = fields_begin(dc, spec, &f);

    while (!rc && fields_next(dc, &f, &rc)) {
      if (is(&f, "holderIdentity"))
        rc = get_str(dc, f.v, &o->u.lease.holder_identity);
      else if (is(&f, "leaseDurationSeconds"))
        rc = get_nonneg_i32(dc, f.v, &o->u.lease.lease_duration_seconds);
      else
        ignore(dc, &f);
    }
    return rc;
  }
  case KIND_VOLUMEATTACHMENT: {
    struct volume_attachment *va = &o->u.va;
    struct fields f;
    int rc = fields_begin(dc, spec, &f);

    while (!rc && fields_next(dc, &f, &rc)) {
      if (is(&f, "attacher")) {
        rc = get_str(dc, f.v, &va->attacher);
      } else if (is(&f, "nodeName")) {
        rc = get_str(dc, f.v, &va->node_name);
      } else if (is(&f, "source")) {
        struct fields g;

        rc = fields_begin(dc, f.v, &g);
        while (!rc && fields_next(dc, &g, &rc)) {
          if (is(&g, "persistentVolumeName"))
            rc = get_str(dc, g.v, &va->pv_name);
          else
            ignore(dc, &g);
        }
      } else {
        ignore(dc, &f);
      }
    }
    if (!rc && (!va->attacher || !*va->attacher))
      rc = errf_at(dc, spec, "attacher", "Required value");
    if (!rc && (!va->node_name || !*va->node_name))
      rc = errf_at(dc, spec, "nodeName", "Required value");
    return rc;
  }
  default:
    return SIM_EUNSUPPORTED;
  }
}

/* Which kinds carry a `spec`, and whether it is required. */
static bool has_spec(enum obj_kind k)
{
  return k != KIND_STORAGECLASS && k != KIND_ENDPOINTSLICE &&
         k != KIND_CONTROLLERREVISION && k != KIND_EVENT;
}

static bool spec_required(enum obj_kind k)
{
  return k == KIND_STATEFULSET || k == KIND_POD || k == KIND_PVC ||
         k == KIND_PV || k == KIND_VOLUMEATTACHMENT;
}

/* Fields required by the kind once the whole document was read. */
static int check_document(struct dec *dc, const struct ynode *root,
                          struct object *o, const struct ynode *spec,
                          const struct ynode *pod_spec,
                          const struct ynode *rev_data)
{
  int rc = 0;

  if (!spec && spec_required(o->kind)) {
    switch (o->kind) {
    case KIND_STATEFULSET:
      return errf_at(dc, root, "spec.selector", "Required value");
    case KIND_POD:
      return errf_at(dc, root, "spec.containers", "Required value");
    case KIND_PVC:
    case KIND_PV:
      return errf_at(dc, root, "spec.accessModes",
                     "Required value: at least 1 access mode is required");
    default:
      return errf_at(dc, root, "spec", "Required value");
    }
  }
  switch (o->kind) {
  case KIND_POD:
    path_key(dc, "spec");
    rc = check_mounts(dc, pod_spec, &o->u.pod.spec, NULL, 0);
    path_set(dc, 0);
    break;
  case KIND_STORAGECLASS:
    if (!o->u.sc.provisioner || !*o->u.sc.provisioner)
      return errf_at(dc, root, "provisioner", "Required value");
    break;
  case KIND_ENDPOINTSLICE:
    o->u.eps.service_name =
        kv_get(&o->meta.labels, "kubernetes.io/service-name");
    break;
  case KIND_CONTROLLERREVISION:
    if (rev_data) {
      const struct ynode *s = ytree_get(rev_data, "spec");
      const struct ynode *t = ytree_get(s, "template");
      if (t && !ytree_is_null(t)) {
        struct pod_template *pt = arena_calloc(dc->a, 1, sizeof(*pt));
        const struct ynode *tspec;

        path_key(dc, "data.spec.template");
        rc = decode_pod_template(dc, t, pt, &tspec);
        path_set(dc, 0);
        o->u.rev.template_ = pt;
      }
    }
    break;
  default:
    break;
  }
  return rc;
}

int manifest_decode(struct scenario *s, const char *file,
                    const struct ynode *root, enum obj_kind kind,
                    struct object *out, struct diag *d)
{
  struct dec dc = {.a = &s->arena, .file = file, .d = d};
  const struct ynode *meta = NULL, *spec = NULL, *pod_spec = NULL;
  const struct ynode *rev_data = NULL;
  struct object o;
  struct fields f;
  int rc;

  SIM_ASSERT(kind > KIND_NONE && kind < KIND_COUNT);
  object_init(&o, kind);
  if (kind == KIND_NODE) {
    o.u.node.cpu_allocatable_milli = 4000;
    o.u.node.memory_allocatable = INT64_C(16) << 30;
    o.u.node.pods_allocatable = 110;
  }
  rc = fields_begin(&dc, root, &f);
  while (!rc && fields_next(&dc, &f, &rc)) {
    if (is(&f, "apiVersion") || is(&f, "kind")) {
      continue;
    } else if (is(&f, "metadata")) {
      meta = f.v;
      rc = decode_meta(&dc, f.v, kind, &o.meta);
    } else if (is(&f, "spec") && has_spec(kind)) {
      spec = f.v;
      rc = decode_spec(&dc, f.v, &o, &pod_spec);
    } else if (is(&f, "status") && kind == KIND_NODE) {
      rc = decode_node_status(&dc, f.v, &o.u.node);
    } else if (is(&f, "status") || is(&f, "spec")) {
      ignore(&dc, &f); /* a manifest is desired state */
    } else {
      rc = decode_top_field(&dc, &f, &o, &rev_data);
    }
  }
  if (!rc && !meta)
    rc = errf_at(&dc, root, "metadata.name",
                 "Required value: name or generateName is required");
  if (!rc) {
    path_set(&dc, 0);
    rc = check_document(&dc, root, &o, spec, pod_spec, rev_data);
  }
  if (!rc) {
    object_set_defaults(&o);
    for (size_t i = 0; i < dc.ignored.nr; i++)
      scenario__add_ignored(s, file, dc.ignored.v[i].key, dc.ignored.v[i].path);
    *out = o;
  }
  free(dc.ignored.v);
  return rc;
}
