/*
 * run.c - one fuzz run in this process: the scenario with its schedule in
 * place of its own actions and without its expectations (a fuzz run is
 * judged by the properties alone), the run's seed and length, a recovery
 * tracker on the store; then what failed first. And a candidate run in a
 * forked child, for shrinking, so a candidate that crashes stsim is
 * an answer rather than the end of the shrinker.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_int.h"
#include "props.h"
#include "world.h"

/* A run that takes longer than this (wall) is a hang: a crash. */
#define CANDIDATE_TIMEOUT_S 600

void fuzz_outcome_release(struct fuzz_outcome *o)
{
  free(o->samples.v);
  memset(o, 0, sizeof(*o));
}

static struct scenario run_scenario(const struct scenario *s,
                                    const struct action *actions, size_t nr,
                                    simtime until)
{
  struct scenario rs = *s;

  rs.actions = actions;
  rs.actions_nr = nr;
  rs.expects = NULL;
  rs.expects_nr = 0;
  rs.until = until;
  return rs;
}

/* The registry index of property i of the run's set. */
static int registry_index(const struct props *pr, size_t i)
{
  size_t nr;
  const struct property_info *reg = props_registry(&nr);
  const struct property_info *pi = props_find(props_name(pr, i));

  return pi ? (int)(pi - reg) : -1;
}

/* Properties checked and violated, and the earliest violation (ties: the
 * registry's order). */
static void judge(struct world *w, struct fuzz_outcome *out)
{
  const struct props *pr = world_props(w);

  out->first.prop = -1;
  out->first.at = SIMTIME_NEVER;
  for (size_t i = 0; i < props_count(pr); i++) {
    const struct prop_violation *v = NULL;
    int ri = registry_index(pr, i);

    if (ri < 0 || ri >= FUZZ_MAX_PROPS)
      continue;
    out->checked |= UINT64_C(1) << ri;
    if (props_hazards(pr, i, NULL))
      out->hazards |= UINT64_C(1) << ri;
    if (!props_violations(pr, i, &v) || !v)
      continue;
    out->violated |= UINT64_C(1) << ri;
    if (v->at < out->first.at ||
        (v->at == out->first.at && ri < out->first.prop)) {
      out->first.prop = ri;
      out->first.at = v->at;
      snprintf(out->first.message, sizeof(out->first.message), "%s",
               v->message);
      snprintf(out->first.objects, sizeof(out->first.objects), "%s",
               v->objects);
    }
  }
  out->status = out->violated ? FUZZ_FAIL : FUZZ_PASS;
}

int fuzz_run(const struct fuzz_profile *p, const struct fuzz_run_opts *o,
             const struct fuzz_schedule *sc, uint64_t seed,
             struct fuzz_outcome *out, struct diag *d)
{
  const struct scenario *base = sc->has_run ? &sc->run : p->s;
  struct scenario rs =
      run_scenario(base, sc->actions.v, sc->actions.nr, o->until);
  struct world_opts wo = {
      .has_seed = true,
      .seed = seed,
      .has_until = true,
      .until = o->until,
      .properties = o->properties,
      .mutant = o->mutant,
      .no_timeline = true,
  };
  struct world *w = world_new(&rs, &wo, d);

  out->seed = seed;
  if (!w)
    return d && d->code ? d->code : SIM_EINVAL;
  struct fuzz__recovery *r = fuzz__recovery_new(p, sc, world_api(w));
  out->events = world_run(w);
  fuzz__recovery_finish(r, world_end_time(w), out);
  judge(w, out);
  for (size_t i = 0; i < sc->faults.nr; i++)
    out->faults[sc->faults.v[i].kind]++;
  fuzz__recovery_free(r);
  world_free(w);
  return 0;
}

/* --- candidates in a child ------------------------------------------------ */

static void run_child(int fd, const struct scenario *s, const char *mutant,
                      const bool *properties, uint64_t seed,
                      const struct action *actions, size_t nr, simtime until,
                      int prop)
{
  struct scenario rs = run_scenario(s, actions, nr, until);
  struct world_opts wo = {.has_seed = true,
                          .seed = seed,
                          .has_until = until != SIMTIME_NEVER,
                          .until = until,
                          .properties = properties,
                          .mutant = mutant,
                          .no_timeline = true};
  struct fuzz_candidate ans = {0};
  struct diag d = {0};
  struct world *w;

  alarm(CANDIDATE_TIMEOUT_S);
  ans.target.prop = prop;
  ans.target.at = SIMTIME_NEVER;
  w = world_new(&rs, &wo, &d);
  if (w) {
    struct fuzz_outcome out = {0};
    world_run(w);
    judge(w, &out);
    ans.violated = out.violated;
    ans.first = out.first;
    ans.built = true;
    for (size_t i = 0; i < props_count(world_props(w)); i++) {
      const struct prop_violation *v = NULL;
      if (registry_index(world_props(w), i) != prop ||
          !props_violations(world_props(w), i, &v) || !v)
        continue;
      ans.target.at = v->at;
      snprintf(ans.target.message, sizeof(ans.target.message), "%s",
               v->message);
      snprintf(ans.target.objects, sizeof(ans.target.objects), "%s",
               v->objects);
    }
    world_free(w);
  }
  if (write(fd, &ans, sizeof(ans)) != (ssize_t)sizeof(ans))
    _exit(4);
  _exit(0);
}

void fuzz_candidate_run(const struct scenario *s, const char *mutant,
                        const bool *properties, uint64_t seed,
                        const struct action *actions, size_t nr, simtime until,
                        int prop, struct fuzz_candidate *out)
{
  int fds[2], status = 0;
  size_t got = 0;
  pid_t pid;

  memset(out, 0, sizeof(*out));
  if (pipe(fds))
    SIM_BUG("pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0)
    SIM_BUG("fork: %s", strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    run_child(fds[1], s, mutant, properties, seed, actions, nr, until, prop);
  }
  close(fds[1]);
  while (got < sizeof(*out)) {
    ssize_t n = read(fds[0], (char *)out + got, sizeof(*out) - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fds[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (got < sizeof(*out))
    memset(out, 0, sizeof(*out));
  out->code = WIFSIGNALED(status) ? WTERMSIG(status)
              : WIFEXITED(status) && WEXITSTATUS(status)
                  ? 256 + WEXITSTATUS(status)
                  : 0;
}

bool fuzz_candidate_fails(const struct scenario *s, const char *mutant,
                          const bool *properties, uint64_t seed,
                          const struct action *actions, size_t nr,
                          simtime until, const struct fuzz_target *target,
                          struct fuzz_violation *v)
{
  struct fuzz_candidate c;
  bool crashed;

  fuzz_candidate_run(s, mutant, properties, seed, actions, nr, until,
                     target->prop, &c);
  crashed = c.code || !c.built;
  if (v && !crashed)
    *v = c.target;
  if (target->prop < 0)
    return c.code && c.code == target->code;
  return !crashed && (c.violated >> target->prop & 1);
}
