/*
 * test_ytree.c - the YAML tree: shapes and positions, the limits libyaml
 * 0.2.5 lacks (size, depth, alias expansion), libyaml's own errors turned
 * into "file:line:col: message", and the typed readers' messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "arena.h"
#include "base.h"
#include "scenario.h"
#include "scenario/ytree.h"

struct parsed {
  struct arena a;
  struct ydoc *docs;
  size_t nr;
  struct diag d;
  int rc;
  char msg[1024]; /* diag_format of d when rc != 0 */
};

static void parse_n(struct parsed *p, const char *buf, size_t len)
{
  memset(p, 0, sizeof(*p));
  arena_init(&p->a, 0);
  p->rc = ytree_parse(&p->a, "t.yaml", buf, len, &p->docs, &p->nr, &p->d);
  if (p->rc)
    diag_format(&p->d, p->msg, sizeof(p->msg));
}

static void parse(struct parsed *p, const char *buf)
{
  parse_n(p, buf, strlen(buf));
}

static void done(struct parsed *p)
{
  arena_release(&p->a);
}

/* Parses buf, expects failure with code and exactly the message msg. */
static void expect_error(const char *buf, int code, const char *msg)
{
  struct parsed p;

  parse(&p, buf);
  if (p.rc != code || strcmp(p.msg, msg))
    fail_msg("input:\n%s\ngot  %d \"%s\"\nwant %d \"%s\"", buf, p.rc, p.msg,
             code, msg);
  done(&p);
}

static void maps_sequences_and_scalars_keep_positions(void **state)
{
  struct parsed p;
  const struct ynode *r, *spec, *items;

  (void)state;
  parse(&p, "kind: Pod\n"
            "spec:\n"
            "  items: [a, 'b', \"c\"]\n"
            "  n: 42\n");
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.nr, 1);
  r = p.docs[0].root;
  assert_non_null(r);
  assert_int_equal(r->type, Y_MAP);
  assert_int_equal(r->nr, 2);
  assert_string_equal(r->keys[0]->str, "kind");
  assert_string_equal(ytree_get(r, "kind")->str, "Pod");
  spec = ytree_get(r, "spec");
  assert_int_equal(spec->type, Y_MAP);
  assert_int_equal(spec->line, 3);
  assert_int_equal(spec->col, 3);
  items = ytree_get(spec, "items");
  assert_int_equal(items->type, Y_SEQ);
  assert_int_equal(items->nr, 3);
  assert_int_equal(items->line, 3);
  assert_int_equal(items->col, 10);
  assert_true(items->items[0]->plain);
  assert_false(items->items[1]->plain);
  assert_false(items->items[2]->plain);
  assert_string_equal(items->items[2]->str, "c");
  assert_int_equal(items->items[2]->col, 19);
  assert_null(ytree_get(spec, "missing"));
  assert_null(ytree_get(items, "a")); /* not a map */
  done(&p);
}

static void
streams_split_into_documents_and_empty_ones_have_no_root(void **state)
{
  struct parsed p;

  (void)state;
  parse(&p, "a: 1\n---\n---\nb: 2\n...\n");
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.nr, 3);
  assert_non_null(p.docs[0].root);
  assert_null(p.docs[1].root);
  assert_non_null(p.docs[2].root);
  assert_int_equal(p.docs[2].line, 3);
  assert_string_equal(ytree_get(p.docs[2].root, "b")->str, "2");
  done(&p);

  parse(&p, "");
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.nr, 0);
  done(&p);

  parse(&p, "# only a comment\n");
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.nr, 0);
  done(&p);
}

static void aliases_share_content_with_their_own_position(void **state)
{
  struct parsed p;
  const struct ynode *r, *a, *b;

  (void)state;
  parse(&p, "a: &x {k: v}\n"
            "b: *x\n");
  assert_int_equal(p.rc, 0);
  r = p.docs[0].root;
  a = ytree_get(r, "a");
  b = ytree_get(r, "b");
  assert_int_equal(b->type, Y_MAP);
  assert_ptr_equal(a->items, b->items);
  assert_int_equal(a->line, 1);
  assert_int_equal(b->line, 2);
  assert_int_equal(b->col, 4);
  done(&p);

  /* anchors are per document */
  expect_error("a: &x 1\n---\nb: *x\n", SIM_EPARSE,
               "t.yaml:3:4: unknown anchor 'x'");
  /* a later anchor of the same name wins */
  parse(&p, "a: &x 1\nb: &x 2\nc: *x\n");
  assert_int_equal(p.rc, 0);
  assert_string_equal(ytree_get(p.docs[0].root, "c")->str, "2");
  done(&p);
}

static void an_alias_inside_its_own_anchor_is_refused(void **state)
{
  (void)state;
  expect_error("a: &x [1, *x]\n", SIM_EPARSE,
               "t.yaml:1:11: alias '*x' is inside the node it refers to");
}

static void duplicate_and_merge_keys_are_refused(void **state)
{
  (void)state;
  expect_error("a: 1\nb: 2\na: 3\n", SIM_EPARSE,
               "t.yaml:3:1: duplicate key 'a'");
  expect_error("x:\n  c: 1\n  b: 1\n  c: 2\n  b: 2\n", SIM_EPARSE,
               "t.yaml:4:3: duplicate key 'c'");
  expect_error("base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", SIM_EPARSE,
               "t.yaml:3:3: merge keys ('<<') are not supported; write the "
               "keys out");
}

static void many_distinct_keys_are_checked_quickly(void **state)
{
  enum { N = 200000 };
  char *buf = malloc((size_t)N * 16);
  size_t n = 0;
  struct parsed p;

  (void)state;
  for (int i = 0; i < N; i++)
    n += (size_t)sprintf(buf + n, "k%d: %d\n", i, i);
  parse_n(&p, buf, n);
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.docs[0].root->nr, N);
  done(&p);
  /* the same with one repeat at the very end */
  n += (size_t)sprintf(buf + n, "k7: 0\n");
  parse_n(&p, buf, n);
  assert_int_equal(p.rc, SIM_EPARSE);
  assert_int_equal(p.d.line, N + 1);
  assert_string_equal(p.d.msg, "duplicate key 'k7'");
  done(&p);
  free(buf);
}

static char *nested(int depth, size_t *len)
{
  char *buf = malloc((size_t)depth * 2 + 2);
  size_t n = 0;

  for (int i = 0; i < depth; i++)
    buf[n++] = '[';
  for (int i = 0; i < depth; i++)
    buf[n++] = ']';
  buf[n++] = '\n';
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void nesting_is_limited_to_64_levels(void **state)
{
  struct parsed p;
  size_t len;
  char *ok = nested(SCENARIO_MAX_DEPTH, &len);
  char *deep = nested(100, &len);

  (void)state;
  parse(&p, ok);
  assert_int_equal(p.rc, 0);
  done(&p);
  parse(&p, deep);
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.msg, "t.yaml:1:65: nesting deeper than 64 levels");
  done(&p);
  /* block style counts the same way */
  char blk[8192];
  size_t n = 0;
  for (int i = 0; i < 70; i++)
    n += (size_t)sprintf(blk + n, "%*sk%d:\n", i * 2, "", i);
  n += (size_t)sprintf(blk + n, "%*sv\n", 140, "");
  parse_n(&p, blk, n);
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.d.msg, "nesting deeper than 64 levels");
  done(&p);
  free(ok);
  free(deep);
}

static const char billion_laughs[] =
    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
    "\"lol\"]\n"
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

static void a_billion_laughs_stop_early(void **state)
{
  struct parsed p;
  clock_t t0 = clock();

  (void)state;
  parse(&p, billion_laughs);
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.d.msg, "aliases expand to more than 2000000 nodes");
  assert_int_equal(p.d.line, 7); /* g would be 5380840 nodes */
  /* a generous bound: the point is "not a billion steps" */
  assert_true(clock() - t0 < 2 * CLOCKS_PER_SEC);
  done(&p);

  /* many documents just under the limit each add up */
  size_t cap = 64 * 1024, n = 0;
  char *many = malloc(cap);
  for (int i = 0; i < 4; i++)
    n += (size_t)snprintf(many + n, cap - n,
                          "---\na: &a [1,2,3,4,5,6,7,8,9]\n"
                          "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                          "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                          "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                          "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                          "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n");
  parse_n(&p, many, n); /* each document: 7 lines, about 672k nodes */
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.d.msg, "aliases expand to more than 2000000 nodes");
  assert_int_equal(p.d.line, 21); /* in the 3rd document */
  done(&p);
  parse_n(&p, many, n / 2); /* two of them are fine */
  assert_int_equal(p.rc, 0);
  assert_int_equal(p.nr, 2);
  done(&p);
  free(many);

  /* the same shape, small enough, is fine */
  parse(&p, "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n");
  assert_int_equal(p.rc, 0);
  done(&p);
}

static void big_documents_without_aliases_are_limited_too(void **state)
{
  size_t n = 0, cap = (size_t)(SCENARIO_MAX_NODES + 10) * 2 + 4;
  char *buf = malloc(cap);
  struct parsed p;

  (void)state;
  buf[n++] = '[';
  for (int i = 0; i < SCENARIO_MAX_NODES + 5; i++) {
    buf[n++] = '0';
    buf[n++] = ',';
  }
  buf[n - 1] = ']';
  parse_n(&p, buf, n);
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.d.msg, "document has more than 2000000 nodes");
  done(&p);
  free(buf);
}

static void files_over_16_mib_are_refused_before_parsing(void **state)
{
  size_t len = SCENARIO_MAX_FILE_BYTES + 1;
  char *buf = malloc(len);
  struct parsed p;

  (void)state;
  /* valid YAML all the way: only the size is wrong */
  memset(buf, '#', len);
  buf[len - 1] = '\n';
  parse_n(&p, buf, len);
  assert_int_equal(p.rc, SIM_ELIMIT);
  assert_string_equal(p.msg, "t.yaml:1:1: file is larger than 16 MiB");
  done(&p);
  /* exactly the limit is allowed */
  parse_n(&p, buf, len - 1);
  assert_int_equal(p.rc, 0);
  done(&p);
  free(buf);
}

static void libyaml_errors_carry_one_based_positions(void **state)
{
  (void)state;
  expect_error("a: b: c\n", SIM_EPARSE,
               "t.yaml:1:5: mapping values are not allowed in this context");
  expect_error("a: [1, 2\n", SIM_EPARSE,
               "t.yaml:2:1: did not find expected ',' or ']' while parsing a "
               "flow sequence that starts at 1:4");
  expect_error("a:\n\tb: 1\n", SIM_EPARSE,
               "t.yaml:2:1: found a tab character where YAML allows only "
               "spaces (indent with spaces)");
  expect_error("a: \"abc\n", SIM_EPARSE,
               "t.yaml:2:1: found unexpected end of stream while scanning a "
               "quoted scalar that starts at 1:4");
}

static void non_utf8_input_is_reported_where_it_is(void **state)
{
  (void)state;
  expect_error("a: 1\nb: \xff\xfe\n", SIM_EPARSE,
               "t.yaml:2:4: invalid leading UTF-8 octet 0xFF (scenario files "
               "must be UTF-8)");
  /* columns count characters, not bytes */
  expect_error("a: \xc3\xa9t\xc3\xa9\nb: x\xc3\n", SIM_EPARSE,
               "t.yaml:2:6: invalid trailing UTF-8 octet 0x0A (scenario "
               "files must be UTF-8)");
  expect_error("a: \xc3\xa9t\xc3\xa9\nb: x\xc3", SIM_EPARSE,
               "t.yaml:2:5: incomplete UTF-8 octet sequence (scenario files "
               "must be UTF-8)");
  expect_error("a: 1\x07\n", SIM_EPARSE,
               "t.yaml:1:5: control characters are not allowed (U+0007)");
}

static void nulls_are_recognised_only_when_plain(void **state)
{
  struct parsed p;
  const struct ynode *r;

  (void)state;
  parse(&p, "a: ~\nb: null\nc:\nd: 'null'\ne: NULL\nf: nil\ng: !!null x\n");
  assert_int_equal(p.rc, 0);
  r = p.docs[0].root;
  assert_true(ytree_is_null(ytree_get(r, "a")));
  assert_true(ytree_is_null(ytree_get(r, "b")));
  assert_true(ytree_is_null(ytree_get(r, "c")));
  assert_false(ytree_is_null(ytree_get(r, "d")));
  assert_true(ytree_is_null(ytree_get(r, "e")));
  assert_false(ytree_is_null(ytree_get(r, "f")));
  assert_true(ytree_is_null(ytree_get(r, "g")));
  assert_false(ytree_is_null(NULL));
  done(&p);
}

/* Reads key k of the one-document input with the typed readers. */
static const struct ynode *value(struct parsed *p, const char *k)
{
  return ytree_get(p->docs[0].root, k);
}

static void typed_reads_accept_good_values(void **state)
{
  struct parsed p;
  int64_t i;
  bool b;
  simtime t;
  const char *s;
  struct diag d;

  (void)state;
  parse(&p, "i: -12\nh: 0x1F\no: 0o17\nb: True\nf: false\n"
            "t: 1h30m\nq: \"90s\"\ns: hello\nm: {}\nl: []\nz: 0\n");
  assert_int_equal(p.rc, 0);
  assert_int_equal(ytree_int64("t", value(&p, "i"), "i", -100, 100, &i, &d), 0);
  assert_true(i == -12);
  assert_int_equal(ytree_int64("t", value(&p, "h"), "h", 0, 100, &i, &d), 0);
  assert_true(i == 31);
  assert_int_equal(ytree_int64("t", value(&p, "o"), "o", 0, 100, &i, &d), 0);
  assert_true(i == 15);
  assert_int_equal(ytree_bool("t", value(&p, "b"), "b", &b, &d), 0);
  assert_true(b);
  assert_int_equal(ytree_bool("t", value(&p, "f"), "f", &b, &d), 0);
  assert_false(b);
  assert_int_equal(ytree_duration("t", value(&p, "t"), "t", &t, &d), 0);
  assert_true(t == SIM_MIN(90));
  assert_int_equal(ytree_duration("t", value(&p, "q"), "q", &t, &d), 0);
  assert_true(t == SIM_SEC(90));
  assert_int_equal(ytree_duration("t", value(&p, "z"), "z", &t, &d), 0);
  assert_true(t == 0);
  assert_int_equal(ytree_str("t", value(&p, "s"), "s", &s, &d), 0);
  assert_string_equal(s, "hello");
  assert_int_equal(ytree_want_map("t", value(&p, "m"), "m", &d), 0);
  assert_int_equal(ytree_want_seq("t", value(&p, "l"), "l", &d), 0);
  done(&p);
}

static void typed_reads_say_what_was_expected_and_what_came(void **state)
{
  static const struct {
    const char *yaml;
    int which; /* 0 int, 1 bool, 2 duration, 3 str, 4 map, 5 seq */
    const char *want;
  } t[] = {
      {"spec:\n  replicas: three\n", 0,
       "t.yaml:2:13: spec.replicas: expected an integer, got \"three\""},
      {"spec:\n  replicas: \"3\"\n", 0,
       "t.yaml:2:13: spec.replicas: expected an integer, got \"3\""},
      {"spec:\n  replicas: 3.5\n", 0,
       "t.yaml:2:13: spec.replicas: expected an integer, got \"3.5\""},
      {"spec:\n  replicas: -1\n", 0,
       "t.yaml:2:13: spec.replicas: -1 is out of range (0 to 2147483647)"},
      {"spec:\n  replicas: 99999999999999999999\n", 0,
       "t.yaml:2:13: spec.replicas: 99999999999999999999 is out of range (0 "
       "to 2147483647)"},
      {"spec:\n  replicas: [1]\n", 0,
       "t.yaml:2:13: spec.replicas: expected an integer, got a sequence"},
      {"spec:\n  replicas:\n", 0,
       "t.yaml:2:12: spec.replicas: expected an integer, got null"},
      {"spec:\n  replicas: yes\n", 1,
       "t.yaml:2:13: spec.replicas: expected true or false, got \"yes\""},
      {"spec:\n  replicas: 5 minutes\n", 2,
       "t.yaml:2:13: spec.replicas: \"5 minutes\" is not a duration (e.g. "
       "5m)"},
      {"spec:\n  replicas: -5m\n", 2,
       "t.yaml:2:13: spec.replicas: \"-5m\" is negative"},
      {"spec:\n  replicas: {a: 1}\n", 2,
       "t.yaml:2:13: spec.replicas: expected a duration (e.g. 5m), got a "
       "mapping"},
      {"spec:\n  replicas: ~\n", 3,
       "t.yaml:2:13: spec.replicas: expected a string, got null"},
      {"spec:\n  replicas: \"a\\0b\"\n", 3,
       "t.yaml:2:13: spec.replicas: a NUL character is not allowed here"},
      {"spec:\n  replicas: [a]\n", 4,
       "t.yaml:2:13: spec.replicas: expected a mapping, got a sequence"},
      {"spec:\n  replicas: x\n", 5,
       "t.yaml:2:13: spec.replicas: expected a sequence, got \"x\""},
  };

  (void)state;
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    struct parsed p;
    const struct ynode *n;
    struct diag d = {0};
    char msg[1024];
    int64_t iv;
    bool bv;
    simtime tv;
    const char *sv;
    int rc = 0;

    parse(&p, t[i].yaml);
    assert_int_equal(p.rc, 0);
    n = ytree_get(ytree_get(p.docs[0].root, "spec"), "replicas");
    assert_non_null(n);
    switch (t[i].which) {
    case 0:
      rc = ytree_int64("t.yaml", n, "spec.replicas", 0, INT32_MAX, &iv, &d);
      break;
    case 1:
      rc = ytree_bool("t.yaml", n, "spec.replicas", &bv, &d);
      break;
    case 2:
      rc = ytree_duration("t.yaml", n, "spec.replicas", &tv, &d);
      break;
    case 3:
      rc = ytree_str("t.yaml", n, "spec.replicas", &sv, &d);
      break;
    case 4:
      rc = ytree_want_map("t.yaml", n, "spec.replicas", &d);
      break;
    case 5:
      rc = ytree_want_seq("t.yaml", n, "spec.replicas", &d);
      break;
    }
    assert_int_equal(rc, SIM_ESCHEMA);
    diag_format(&d, msg, sizeof(msg));
    if (strcmp(msg, t[i].want))
      fail_msg("case %zu:\ngot  %s\nwant %s", i, msg, t[i].want);
    done(&p);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(maps_sequences_and_scalars_keep_positions),
      cmocka_unit_test(
          streams_split_into_documents_and_empty_ones_have_no_root),
      cmocka_unit_test(aliases_share_content_with_their_own_position),
      cmocka_unit_test(an_alias_inside_its_own_anchor_is_refused),
      cmocka_unit_test(duplicate_and_merge_keys_are_refused),
      cmocka_unit_test(many_distinct_keys_are_checked_quickly),
      cmocka_unit_test(nesting_is_limited_to_64_levels),
      cmocka_unit_test(a_billion_laughs_stop_early),
      cmocka_unit_test(big_documents_without_aliases_are_limited_too),
      cmocka_unit_test(files_over_16_mib_are_refused_before_parsing),
      cmocka_unit_test(libyaml_errors_carry_one_based_positions),
      cmocka_unit_test(non_utf8_input_is_reported_where_it_is),
      cmocka_unit_test(nulls_are_recognised_only_when_plain),
      cmocka_unit_test(typed_reads_accept_good_values),
      cmocka_unit_test(typed_reads_say_what_was_expected_and_what_came),
  };

  return cmocka_run_group_tests_name("ytree", tests, NULL, NULL);
}
