/*
 * emit.c - failure files: a run written out as a standalone scenario that
 * `stsim run` replays exactly (interface.md section 1). The Kubernetes
 * documents are copied as the user wrote them (struct scenario_doc); the
 * Scenario document is written from the loaded scenario - cluster,
 * version, gates, timings that differ from the version's defaults,
 * images - with the run's seed and length and its schedule as plain
 * `actions`, in the order the loader will sort them back into. Also the
 * atomic file writer every result file goes through.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_int.h"
#include "props.h"

void fuzz__yaml_str(FILE *f, const char *s)
{
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p == '\t')
      fputs("\\t", f);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(f, "\\x%02x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

static void yaml_dur(FILE *f, simtime t)
{
  char buf[40];

  sim_format_duration(t, buf, sizeof(buf));
  fputs(buf, f);
}

/* The shortest decimal that reads back as the same double. */
static void yaml_double(FILE *f, double v)
{
  char buf[40];

  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof(buf), "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  fputs(buf, f);
}

bool fuzz__action_writable(enum action_kind k)
{
  switch (k) {
  case ACTION_CRASH_NODE:
  case ACTION_RESTART_NODE:
  case ACTION_PARTITION_NODE:
  case ACTION_HEAL_NODE:
  case ACTION_SHUTDOWN_NODE:
  case ACTION_DELETE_NODE:
  case ACTION_ADD_NODE:
  case ACTION_CORDON_NODE:
  case ACTION_UNCORDON_NODE:
  case ACTION_DRAIN_NODE:
  case ACTION_TAINT_NODE:
  case ACTION_UNTAINT_NODE:
  case ACTION_SCALE:
  case ACTION_SET_IMAGE:
  case ACTION_DELETE_POD:
  case ACTION_DELETE_STATEFULSET:
  case ACTION_DELETE_PVC:
  case ACTION_FAIL_READINESS:
  case ACTION_RESTORE_READINESS:
  case ACTION_RESTART_CONTROLLER:
  case ACTION_API_ERRORS:
  case ACTION_WATCH_DELAY:
  case ACTION_PATCH:
    return true;
  default:
    return false; /* apply (and later kinds) carry a parsed object */
  }
}

static const char *effect_name(enum taint_effect e)
{
  switch (e) {
  case TAINT_NO_SCHEDULE:
    return "NoSchedule";
  case TAINT_PREFER_NO_SCHEDULE:
    return "PreferNoSchedule";
  default:
    return "NoExecute";
  }
}

static void key_str(FILE *f, const char *key, const char *v)
{
  fprintf(f, ", %s: ", key);
  fuzz__yaml_str(f, v);
}

static void key_dur(FILE *f, const char *key, simtime v)
{
  fprintf(f, ", %s: ", key);
  yaml_dur(f, v);
}

/* A merge patch's map: `null` for a key it removes. */
static void patch_map(FILE *f, const char *key, const struct kv_list *m)
{
  if (!m->nr)
    return;
  fprintf(f, ", %s: {", key);
  for (size_t i = 0; i < m->nr; i++) {
    fputs(i ? ", " : "", f);
    fuzz__yaml_str(f, m->v[i].key);
    fputs(": ", f);
    if (m->v[i].value)
      fuzz__yaml_str(f, m->v[i].value);
    else
      fputs("null", f);
  }
  fputc('}', f);
}

static void write_patch(FILE *f, const struct action *a)
{
  char object[400];

  snprintf(object, sizeof(object), "%s/%s", obj_kind_name(a->patch_kind),
           a->patch_name);
  key_str(f, "object", object);
  patch_map(f, "labels", &a->patch_labels);
  patch_map(f, "annotations", &a->patch_annotations);
  if (a->patch_finalizers_set) {
    fputs(", finalizers: [", f);
    for (size_t i = 0; i < a->patch_finalizers.nr; i++) {
      fputs(i ? ", " : "", f);
      fuzz__yaml_str(f, a->patch_finalizers.v[i]);
    }
    fputc(']', f);
  }
  if (a->patch_owner_refs_set) {
    fputs(", ownerReferences: [", f);
    for (size_t i = 0; i < a->patch_owner_refs_nr; i++) {
      const struct patch_owner_ref *r = &a->patch_owner_refs[i];
      fputs(i ? ", {apiVersion: " : "{apiVersion: ", f);
      fuzz__yaml_str(f, r->api_version);
      key_str(f, "kind", r->kind);
      key_str(f, "name", r->name);
      if (r->controller)
        fputs(", controller: true", f);
      if (r->block_owner_deletion)
        fputs(", blockOwnerDeletion: true", f);
      if (r->stale_uid)
        fputs(", uid: stale", f);
      fputc('}', f);
    }
    fputc(']', f);
  }
}

void fuzz_write_action(FILE *f, const struct action *a)
{
  static const char *const cascades[] = {"background", "foreground", "orphan"};

  SIM_ASSERT(fuzz__action_writable(a->kind));
  fputc('{', f);
  if (a->at != SIMTIME_NEVER) {
    fputs("at: ", f);
    yaml_dur(f, a->at);
  } else {
    fputs("when: {pod: ", f);
    fuzz__yaml_str(f, a->when_pod);
    fprintf(f, ", becomes: %s}", when_state_name(a->when_becomes));
    if (a->after)
      key_dur(f, "after", a->after);
  }
  fprintf(f, ", action: %s", action_name(a->kind));
  switch (a->kind) {
  case ACTION_CRASH_NODE:
  case ACTION_PARTITION_NODE:
    key_str(f, "node", a->node);
    if (a->duration)
      key_dur(f, "for", a->duration);
    break;
  case ACTION_ADD_NODE:
    key_str(f, "node", a->node);
    if (a->zone)
      key_str(f, "zone", a->zone);
    break;
  case ACTION_TAINT_NODE:
  case ACTION_UNTAINT_NODE:
    key_str(f, "node", a->node);
    fputs(", taint: {key: ", f);
    fuzz__yaml_str(f, a->taint.key);
    if (a->taint.value)
      key_str(f, "value", a->taint.value);
    fprintf(f, ", effect: %s}", effect_name(a->taint.effect));
    break;
  case ACTION_SCALE:
    key_str(f, "statefulSet", a->statefulset);
    fprintf(f, ", replicas: %d", a->replicas);
    break;
  case ACTION_SET_IMAGE:
    key_str(f, "statefulSet", a->statefulset);
    key_str(f, "image", a->image);
    if (a->container)
      key_str(f, "container", a->container);
    break;
  case ACTION_DELETE_POD:
    key_str(f, "pod", a->pod);
    if (a->grace_period >= 0)
      fprintf(f, ", gracePeriod: %lld", (long long)a->grace_period);
    if (a->force)
      fputs(", force: true", f);
    break;
  case ACTION_DELETE_STATEFULSET:
    key_str(f, "statefulSet", a->statefulset);
    if (a->cascade != CASCADE_BACKGROUND)
      fprintf(f, ", cascade: %s", cascades[a->cascade]);
    break;
  case ACTION_DELETE_PVC:
    key_str(f, "pvc", a->pvc);
    break;
  case ACTION_FAIL_READINESS:
  case ACTION_RESTORE_READINESS:
    key_str(f, "pod", a->pod);
    break;
  case ACTION_RESTART_CONTROLLER:
    if (a->component)
      key_str(f, "component", a->component);
    break;
  case ACTION_API_ERRORS:
    key_dur(f, "duration", a->duration);
    fputs(", fraction: ", f);
    yaml_double(f, a->fraction);
    if (a->error)
      fprintf(f, ", error: %s", a->error);
    if (a->component)
      key_str(f, "component", a->component);
    break;
  case ACTION_WATCH_DELAY:
    key_str(f, "component", a->component);
    key_dur(f, "delay", a->delay);
    key_dur(f, "duration", a->duration);
    break;
  case ACTION_PATCH:
    write_patch(f, a);
    break;
  default: /* the other node actions take only the node */
    key_str(f, "node", a->node);
    break;
  }
  fputc('}', f);
}

/* --- the Scenario document ------------------------------------------------ */

static void write_nodes(FILE *f, const struct scenario *s)
{
  if (!s->nodes_nr)
    return; /* the cluster is the Node manifests */
  fputs("    nodes:\n", f);
  for (size_t i = 0; i < s->nodes_nr; i++) {
    const struct node_decl *n = &s->nodes[i];

    fputs("      - name: ", f);
    fuzz__yaml_str(f, n->name);
    fputc('\n', f);
    if (n->zone) {
      fputs("        zone: ", f);
      fuzz__yaml_str(f, n->zone);
      fputc('\n', f);
    }
    if (n->labels.nr) {
      fputs("        labels: {", f);
      for (size_t k = 0; k < n->labels.nr; k++) {
        if (k)
          fputs(", ", f);
        fuzz__yaml_str(f, n->labels.v[k].key);
        fputs(": ", f);
        fuzz__yaml_str(f, n->labels.v[k].value);
      }
      fputs("}\n", f);
    }
    if (n->taints_nr) {
      fputs("        taints:\n", f);
      for (size_t k = 0; k < n->taints_nr; k++) {
        fputs("          - {key: ", f);
        fuzz__yaml_str(f, n->taints[k].key);
        if (n->taints[k].value)
          key_str(f, "value", n->taints[k].value);
        fprintf(f, ", effect: %s}\n", effect_name(n->taints[k].effect));
      }
    }
    fprintf(f,
            "        cpu: \"%lldm\"\n        memory: \"%lld\"\n        pods: "
            "\"%lld\"\n",
            (long long)n->cpu_milli, (long long)n->memory, (long long)n->pods);
  }
}

static void write_cluster(FILE *f, const struct scenario *s)
{
  struct timings defaults;
  size_t changed = 0;

  fputs("  cluster:\n", f);
  write_nodes(f, s);
  fputs("    defaultStorageClass: ", f);
  fuzz__yaml_str(f,
                 s->default_storage_class ? s->default_storage_class : "none");
  fprintf(f, "\n    kubernetesVersion: \"1.%d\"\n", s->kubernetes_minor);
  if (s->feature_gates_nr) {
    fputs("    featureGates: {", f);
    for (size_t i = 0; i < s->feature_gates_nr; i++) {
      fputs(i ? ", " : "", f);
      fuzz__yaml_str(f, s->feature_gates[i].name);
      fprintf(f, ": %s", s->feature_gates[i].enabled ? "true" : "false");
    }
    fputs("}\n", f);
  }
  timings_defaults(&defaults, s->kubernetes_minor);
  for (int i = 0; i < TIMING_COUNT; i++) {
    if (s->timings.v[i] == defaults.v[i])
      continue;
    fputs(changed++ ? ", " : "    timings: {", f);
    fprintf(f, "%s: ", timings_name((enum timing_id)i));
    yaml_dur(f, s->timings.v[i]);
  }
  if (changed)
    fputs("}\n", f);
  if (s->images_nr) {
    fputs("    images:\n", f);
    for (size_t i = 0; i < s->images_nr; i++) {
      const struct image_decl *im = &s->images[i];
      fputs("      ", f);
      fuzz__yaml_str(f, im->image);
      fprintf(f, ": {crashes: %s, ready: %s", im->crashes ? "true" : "false",
              im->never_ready ? "false" : "true");
      if (im->startup != SIMTIME_NEVER)
        key_dur(f, "startup", im->startup);
      fputs("}\n", f);
    }
  }
}

/* spec.variant: the StatefulSet fields the run changed (vary.c). */
static void write_variant(FILE *f, const struct scenario *s)
{
  bool any = false;

  for (int k = 0; k < SV_COUNT; k++) {
    if (!s->variant.set[k])
      continue;
    fputs(any ? ", " : "  variant: {", f);
    any = true;
    fprintf(f, "%s: ", sts_variant_field_name((enum sts_variant_field)k));
    const char *word =
        sts_variant_value_name((enum sts_variant_field)k, s->variant.v[k]);
    if (word)
      fputs(word, f);
    else
      fprintf(f, "%d", (int)s->variant.v[k]);
  }
  if (any)
    fputs("}\n", f);
}

static void one_line(FILE *f, const char *prefix, const char *text)
{
  fputs(prefix, f);
  for (const char *p = text; p && *p; p++)
    fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
  fputc('\n', f);
}

static const char *prop_label(int prop)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);

  return prop >= 0 && (size_t)prop < nr ? reg[prop].name : "internal-error";
}

static void write_header(FILE *f, const struct scenario *s, uint64_t seed,
                         const struct fuzz_failure_info *in)
{
  const struct fuzz_violation *v = in->v;
  char at[40] = "?";

  if (v->at != SIMTIME_NEVER)
    sim_format_duration(v->at, at, sizeof(at));
  fprintf(f, "# stsim fuzz failure: scenario %s", s->name);
  if (in->scenario)
    fprintf(f, " (%s)", in->scenario);
  fputc('\n', f);
  if (in->index != UINT64_MAX)
    fprintf(f,
            "# run %" PRIu64 " of the campaign with master seed %" PRIu64
            "; run seed %" PRIu64 "\n",
            in->index, in->master_seed, seed);
  if (v->prop >= 0) {
    fprintf(f, "# property %s failed at %s (virtual time):\n",
            prop_label(v->prop), at);
    one_line(f, "#   ", v->message);
    if (v->objects[0])
      one_line(f, "#   objects: ", v->objects);
  } else {
    one_line(f, "# stsim itself failed (internal error): ", v->message);
  }
  if (in->variant && in->variant[0])
    one_line(f, "# configuration drawn for this run: ", in->variant);
  if (in->note)
    one_line(f, "# ", in->note);
  fprintf(f, "# replay: stsim run %s%s%s\n", in->replay ? in->replay : "FILE",
          in->mutant ? " --mutant " : "", in->mutant ? in->mutant : "");
  fprintf(f,
          "# stsim-fuzz: seed=%" PRIu64 " property=%s at-us=%lld code=%d "
          "mutant=%s\n",
          seed, prop_label(v->prop),
          v->at == SIMTIME_NEVER ? -1LL : (long long)v->at, v->code,
          in->mutant ? in->mutant : "-");
}

int fuzz_write_scenario(FILE *f, const struct scenario *s,
                        const struct action *actions, size_t actions_nr,
                        uint64_t seed, simtime until,
                        const struct fuzz_failure_info *info)
{
  if (info)
    write_header(f, s, seed, info);
  for (size_t i = 0; i < s->docs_nr; i++) {
    const struct scenario_doc *doc = &s->docs[i];
    fprintf(f, "--- # %s:%d\n", doc->pos.file, doc->pos.line);
    fwrite(doc->text, 1, doc->len, f);
    if (!doc->len || doc->text[doc->len - 1] != '\n')
      fputc('\n', f);
  }
  fputs("---\napiVersion: stsim/v1alpha1\nkind: Scenario\nmetadata:\n"
        "  name: ",
        f);
  fuzz__yaml_str(f, s->name);
  fputs("\n  description: ", f);
  fuzz__yaml_str(f, info ? "a run written out by stsim fuzz; the comment at "
                           "the top says what failed"
                         : s->description);
  fprintf(f, "\nspec:\n  seed: %" PRIu64 "\n  until: ", seed);
  yaml_dur(f, until);
  fputc('\n', f);
  write_cluster(f, s);
  write_variant(f, s);
  if (actions_nr) {
    fputs("  actions:\n", f);
    for (size_t i = 0; i < actions_nr; i++) {
      fputs("    - ", f);
      fuzz_write_action(f, &actions[i]);
      fputc('\n', f);
    }
  }
  return ferror(f) ? SIM_EIO : 0;
}

/* --- files ---------------------------------------------------------------- */

int fuzz_write_atomic(const char *path, fuzz_writer_fn *fn, void *ctx,
                      struct diag *d)
{
  size_t n = strlen(path);
  char *tmp = xmalloc(n + 16);
  FILE *f;
  int fd, rc;

  snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
  fd = mkstemp(tmp);
  if (fd < 0) {
    rc = diagf(d, path, 0, 0, SIM_EIO, "cannot write: %s", strerror(errno));
    free(tmp);
    return rc;
  }
  fchmod(fd, 0644);
  f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    rc = SIM_EIO;
    goto fail;
  }
  rc = fn(f, ctx);
  if (fflush(f) || ferror(f))
    rc = rc ? rc : SIM_EIO;
  if (!rc && fsync(fileno(f)))
    rc = SIM_EIO;
  if (fclose(f))
    rc = rc ? rc : SIM_EIO;
  if (!rc && rename(tmp, path))
    rc = SIM_EIO;
  if (!rc) {
    free(tmp);
    return 0;
  }
fail:
  diagf(d, path, 0, 0, rc, "cannot write: %s", strerror(errno));
  unlink(tmp);
  free(tmp);
  return rc;
}

int fuzz_read_failure_tag(const char *path, struct fuzz_failure_tag *tag)
{
  FILE *f = fopen(path, "r");
  char line[1024];
  int rc = -1;

  memset(tag, 0, sizeof(*tag));
  tag->at = SIMTIME_NEVER;
  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f) && line[0] == '#') {
    const char *p = strstr(line, "# stsim-fuzz:");
    if (p != line)
      continue;
    rc = 0;
    for (char *tok = strtok(line + 13, " \n"); tok; tok = strtok(NULL, " \n")) {
      char *eq = strchr(tok, '=');
      if (!eq)
        continue;
      *eq++ = '\0';
      if (!strcmp(tok, "property"))
        snprintf(tag->property, sizeof(tag->property), "%s", eq);
      else if (!strcmp(tok, "mutant") && strcmp(eq, "-"))
        snprintf(tag->mutant, sizeof(tag->mutant), "%s", eq);
      else if (!strcmp(tok, "code"))
        tag->code = atoi(eq);
      else if (!strcmp(tok, "at-us") && eq[0] != '-')
        tag->at = strtoll(eq, NULL, 10);
    }
    break;
  }
  fclose(f);
  return rc;
}
