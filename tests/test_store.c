/*
 * test_store.c - the ordered index behind the store and the informer
 * caches (sim/apiserver/store.c): a new version of a key replaces the old
 * (found by uid), a new object under an old key takes its place, removal
 * and clearing forget both, and walks stay in (namespace, name) order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "apiserver/apiserver_int.h"

struct fx {
  struct arena arena;
  struct api__pool pool;
  struct api__tree tree;
};

static int setup(void **state)
{
  struct fx *x = test_calloc(1, sizeof(*x));

  arena_init(&x->arena, 1 << 16);
  x->pool.arena = &x->arena;
  *state = x;
  return 0;
}

static int teardown(void **state)
{
  struct fx *x = *state;

  api__tree_clear(&x->tree, &x->pool);
  arena_release(&x->arena);
  test_free(x);
  return 0;
}

static struct object *version(struct fx *x, const char *name, uint64_t uid)
{
  struct object *o = arena_calloc(&x->arena, 1, sizeof(*o));

  object_init(o, KIND_POD);
  o->meta.namespace_ = "default";
  o->meta.name = arena_strdup(&x->arena, name);
  o->meta.uid = uid;
  return o;
}

struct walk {
  char names[64][16];
  size_t nr;
};

static bool collect(const struct object *o, void *ctx)
{
  struct walk *w = ctx;

  snprintf(w->names[w->nr++], 16, "%s", o->meta.name);
  return true;
}

static void a_new_version_replaces_the_old_one(void **state)
{
  struct fx *x = *state;
  struct object *v1 = version(x, "web-1", 11), *v2 = version(x, "web-1", 11);

  assert_null(api__tree_put(&x->tree, &x->pool, v1));
  assert_ptr_equal(api__tree_put(&x->tree, &x->pool, v2), v1);
  assert_ptr_equal(api__tree_get(&x->tree, "default", "web-1"), v2);
  assert_int_equal(x->tree.nr, 1);
}

static void a_new_object_under_an_old_key_takes_its_place(void **state)
{
  struct fx *x = *state;
  struct object *a = version(x, "web-0", 1), *b = version(x, "web-0", 2);
  struct object *b2 = version(x, "web-0", 2);

  api__tree_put(&x->tree, &x->pool, a);
  assert_ptr_equal(api__tree_put(&x->tree, &x->pool, b), a);
  assert_false(u64map_get(&x->tree.by_uid, 1, NULL));
  assert_ptr_equal(api__tree_put(&x->tree, &x->pool, b2), b);
  assert_ptr_equal(api__tree_del(&x->tree, &x->pool, "default", "web-0"), b2);
  assert_false(u64map_get(&x->tree.by_uid, 2, NULL));
  assert_int_equal(x->tree.nr, 0);
}

static void walks_are_in_name_order_after_updates(void **state)
{
  struct fx *x = *state;
  const char *names[] = {"web-3", "web-10", "web-1", "web-2", "db-0"};
  struct walk w = {.nr = 0};

  for (int round = 0; round < 3; round++)
    for (size_t i = 0; i < 5; i++)
      api__tree_put(&x->tree, &x->pool, version(x, names[i], 100 + i));
  api__tree_del(&x->tree, &x->pool, "default", "web-2");
  /* GETs by name (hashed) see the last version and nothing deleted */
  assert_null(api__tree_get(&x->tree, "default", "web-2"));
  assert_int_equal(api__tree_get(&x->tree, "default", "web-10")->meta.uid, 101);
  assert_null(api__tree_get(&x->tree, "other", "web-10"));
  api__tree_visit(&x->tree, NULL, NULL, collect, &w);
  assert_int_equal(w.nr, 4);
  assert_string_equal(w.names[0], "db-0");
  assert_string_equal(w.names[1], "web-1");
  assert_string_equal(w.names[2], "web-10");
  assert_string_equal(w.names[3], "web-3");
  api__tree_clear(&x->tree, &x->pool);
  assert_false(u64map_get(&x->tree.by_uid, 100, NULL));
  assert_null(api__tree_get(&x->tree, "default", "web-3"));
  assert_null(api__tree_put(&x->tree, &x->pool, version(x, "web-3", 100)));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(a_new_version_replaces_the_old_one),
      T(a_new_object_under_an_old_key_takes_its_place),
      T(walks_are_in_name_order_after_updates),
  };
#undef T
  return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
