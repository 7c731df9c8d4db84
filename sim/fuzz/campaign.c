/*
 * campaign.c - many runs on this machine: forked workers, a pipe each,
 * the parent aggregating in run-index order.
 *
 * The shard's runs are indices i < runs with i % shard_n == shard_k, in
 * order; position q in that list is run index shard_k + q * shard_n. With
 * W workers, lane w owns positions w, w + W, w + 2W, ... and its worker
 * runs them in that order, each in-process (world_new .. world_free, flat
 * memory), and writes one fixed-size record per run (plus its recovery
 * samples) to its pipe. The parent takes records lane by lane in position
 * order, so what it aggregates - and where it stops for --max-failures -
 * is the same for any W (design.md, determinism).
 *
 * A worker that dies (a signal, SIM_BUG's exit 3, the per-run alarm for a
 * hang) dies on the run after its last record: that run is a crash, with
 * the tail of the worker's stderr as its message, and a new worker takes
 * the lane from the next position. Failure files are written by the
 * parent, for the runs it keeps, from the run's seed (the schedule is
 * drawn again: it is a function of the seed). The wall clock comes from
 * the caller (opts->wall_clock); it only feeds the progress line and runs/s.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_int.h"

/* A run that takes longer than this (wall) is a hang: a crashed run. */
#define RUN_TIMEOUT_S 600
#define WIRE_MAGIC 0x7a7a7566u

struct wire {
  uint32_t magic, samples_nr;
  uint64_t pos; /* position in the lane */
  uint64_t index, seed, checked, violated, hazards, events;
  int32_t status;
  uint32_t faults[ACTION_COUNT];
  struct fuzz_violation first;
};

struct lane {
  pid_t pid;
  int fd;
  FILE *err;     /* the worker's stderr, for crash messages */
  uint64_t next; /* the next position the worker will report */
  uint64_t len;  /* positions in this lane */
  bool running;
  char *buf; /* bytes received, not yet parsed */
  size_t nr, alloc;
  VEC(struct fuzz_outcome) q; /* parsed, in position order */
  size_t head;
};

struct camp {
  const struct fuzz_profile *p;
  const struct fuzz_campaign_opts *o;
  struct fuzz_summary *sum;
  struct diag *d;
  uint64_t count; /* runs in this shard */
  size_t lanes_nr;
  struct lane *lanes;
  uint64_t received;
  double t0, last_draw;
  int last_decile;
  struct fuzz_schedule sc; /* for writing failure files */
  int rc;
};

static uint64_t run_index(const struct camp *c, uint64_t pos)
{
  return c->o->shard_k + pos * c->o->shard_n;
}

static int write_all(int fd, const void *p, size_t n)
{
  const char *b = p;

  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

/* --- the worker ----------------------------------------------------------- */

static _Noreturn void worker(struct camp *c, size_t lane, uint64_t from)
{
  const struct fuzz_campaign_opts *o = c->o;
  struct fuzz_schedule sc;
  struct fuzz_outcome out = {0};
  VEC(char) buf = {0};
  int fd = c->lanes[lane].fd;

  signal(SIGINT, SIG_IGN); /* the parent stops us */
  signal(SIGPIPE, SIG_DFL);
  /* Keep freed memory: every run allocates about as much as the last,
   * and giving pages back to the kernel per run costs page faults. */
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  fuzz_schedule_init(&sc);
  for (uint64_t r = from;; r++) {
    uint64_t pos = lane + r * c->lanes_nr;
    struct diag d = {0};
    struct wire w;

    memset(&w, 0, sizeof(w)); /* padding too: it goes down the pipe (D6) */
    w.magic = WIRE_MAGIC;
    w.pos = r;

    if (pos >= c->count)
      break;
    w.index = run_index(c, pos);
    w.seed = fuzz_run_seed(o->master_seed, w.index);
    alarm(RUN_TIMEOUT_S);
    fuzz_generate(c->p, w.seed, &sc);
    out.samples.nr = 0;
    out.checked = out.violated = out.hazards = 0;
    memset(out.faults, 0, sizeof(out.faults));
    if ((o->run_fn ? o->run_fn : fuzz_run)(c->p, &o->run, &sc, w.seed, &out,
                                           &d)) {
      char msg[700];
      diag_format(&d, msg, sizeof(msg));
      fprintf(stderr,
              "stsim: internal error: cannot build run %" PRIu64 ": %s\n",
              w.index, msg);
      _exit(3);
    }
    w.status = (int32_t)out.status;
    w.checked = out.checked;
    w.violated = out.violated;
    w.hazards = out.hazards;
    w.events = out.events;
    memcpy(&w.first, &out.first, sizeof(w.first));
    memcpy(w.faults, out.faults, sizeof(w.faults));
    w.samples_nr = (uint32_t)out.samples.nr;
    size_t n = sizeof(w) + out.samples.nr * sizeof(*out.samples.v);
    VEC_GROW(&buf, n);
    memcpy(buf.v, &w, sizeof(w));
    memcpy(buf.v + sizeof(w), out.samples.v,
           out.samples.nr * sizeof(*out.samples.v));
    if (write_all(fd, buf.v, n))
      _exit(0); /* the parent has gone or stopped us */
  }
  alarm(0);
  _exit(0);
}

/* --- lanes ---------------------------------------------------------------- */

static void spawn(struct camp *c, size_t i)
{
  struct lane *l = &c->lanes[i];
  int fds[2];

  if (l->next >= l->len) {
    l->running = false;
    return;
  }
  if (pipe(fds))
    SIM_BUG("pipe: %s", strerror(errno));
  if (!l->err)
    l->err = tmpfile();
  if (l->err) {
    fflush(l->err);
    if (ftruncate(fileno(l->err), 0) == 0)
      rewind(l->err);
  }
  fflush(stdout);
  fflush(stderr);
  if (c->o->progress)
    fflush(c->o->progress);
  l->pid = fork();
  if (l->pid < 0)
    SIM_BUG("fork: %s", strerror(errno));
  if (l->pid == 0) {
    close(fds[0]);
    for (size_t k = 0; k < c->lanes_nr; k++)
      if (k != i && c->lanes[k].running)
        close(c->lanes[k].fd);
    if (l->err)
      dup2(fileno(l->err), 2);
    l->fd = fds[1];
    worker(c, i, l->next);
  }
  close(fds[1]);
  l->fd = fds[0];
  l->running = true;
  l->nr = 0;
}

/* The last line the worker wrote to stderr (SIM_BUG's message). */
static void crash_text(struct lane *l, char *out, size_t n)
{
  char buf[2048];
  size_t got;
  long size;

  out[0] = '\0';
  if (!l->err || fflush(l->err) || fseek(l->err, 0, SEEK_END))
    return;
  size = ftell(l->err);
  if (size <= 0)
    return;
  fseek(l->err, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0,
        SEEK_SET);
  got = fread(buf, 1, sizeof(buf) - 1, l->err);
  buf[got] = '\0';
  while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
    buf[--got] = '\0';
  const char *line = strrchr(buf, '\n');
  line = line ? line + 1 : buf;
  size_t len = strlen(line) < n - 1 ? strlen(line) : n - 1;
  memcpy(out, line, len);
  out[len] = '\0';
}

static void push(struct lane *l, struct fuzz_outcome *o)
{
  VEC_PUSH(&l->q, *o);
}

/* The worker of lane i is gone: a crash on position l->next, unless it
 * finished its lane. */
static void reap(struct camp *c, size_t i)
{
  struct lane *l = &c->lanes[i];
  int status = 0;

  close(l->fd);
  l->running = false;
  while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (l->next >= l->len && WIFEXITED(status) && !WEXITSTATUS(status))
    return;
  if (l->next >= l->len)
    return; /* died after its last run: nothing lost */
  struct fuzz_outcome o = {0};
  char tail[300];
  uint64_t pos = i + l->next * c->lanes_nr;

  o.index = run_index(c, pos);
  o.seed = fuzz_run_seed(c->o->master_seed, o.index);
  o.status = FUZZ_CRASH;
  o.first.prop = -1;
  o.first.at = SIMTIME_NEVER;
  crash_text(l, tail, sizeof(tail));
  if (WIFSIGNALED(status)) {
    o.first.code = WTERMSIG(status);
    if (WTERMSIG(status) == SIGALRM)
      snprintf(o.first.message, sizeof(o.first.message),
               "the run did not finish within %d s of wall time (a hang?)",
               RUN_TIMEOUT_S);
    else
      snprintf(o.first.message, sizeof(o.first.message),
               "killed by signal %d (%s)%s%s", WTERMSIG(status),
               strsignal(WTERMSIG(status)), tail[0] ? ": " : "", tail);
  } else {
    o.first.code = 256 + (WIFEXITED(status) ? WEXITSTATUS(status) : 0);
    snprintf(o.first.message, sizeof(o.first.message), "exit code %d%s%s",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail[0] ? ": " : "",
             tail);
  }
  push(l, &o);
  l->next++;
  spawn(c, i);
}

/* Parses the complete records in l->buf. */
static void parse(struct camp *c, size_t i)
{
  struct lane *l = &c->lanes[i];
  size_t off = 0;

  for (;;) {
    struct wire w;
    if (l->nr - off < sizeof(w))
      break;
    memcpy(&w, l->buf + off, sizeof(w));
    size_t n = sizeof(w) + (size_t)w.samples_nr * sizeof(struct fuzz_sample);
    if (w.magic != WIRE_MAGIC || w.pos != l->next)
      SIM_BUG("fuzz worker %zu sent a bad record", i);
    if (l->nr - off < n)
      break;
    struct fuzz_outcome o = {0};
    o.index = w.index;
    o.seed = w.seed;
    o.status = (enum fuzz_status)w.status;
    o.checked = w.checked;
    o.violated = w.violated;
    o.hazards = w.hazards;
    o.events = w.events;
    o.first = w.first;
    memcpy(o.faults, w.faults, sizeof(o.faults));
    VEC_GROW(&o.samples, w.samples_nr + 1);
    memcpy(o.samples.v, l->buf + off + sizeof(w),
           w.samples_nr * sizeof(struct fuzz_sample));
    o.samples.nr = w.samples_nr;
    push(l, &o);
    l->next++;
    c->received++;
    off += n;
  }
  memmove(l->buf, l->buf + off, l->nr - off);
  l->nr -= off;
}

static void receive(struct camp *c, size_t i)
{
  struct lane *l = &c->lanes[i];

  if (l->alloc - l->nr < 65536) {
    l->alloc = l->alloc ? l->alloc * 2 : 131072;
    l->buf = xrealloc(l->buf, l->alloc);
  }
  ssize_t n = read(l->fd, l->buf + l->nr, l->alloc - l->nr);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    reap(c, i);
    return;
  }
  l->nr += (size_t)n;
  parse(c, i);
}

/* --- failure files -------------------------------------------------------- */

struct failure_writer {
  struct camp *c;
  const struct fuzz_failure *f;
};

static int write_failure(FILE *out, void *ctx)
{
  struct failure_writer *fw = ctx;
  struct camp *c = fw->c;
  const struct fuzz_failure *f = fw->f;
  struct fuzz_failure_info info = {
      .scenario = c->o->scenario_label,
      .master_seed = c->o->master_seed,
      .index = f->index,
      .seed = f->seed,
      .mutant = c->o->run.mutant,
      .v = &f->v,
      .replay = f->file,
      .variant = f->variant,
  };

  return fuzz_write_scenario(out, &c->sc.run, c->sc.actions.v, c->sc.actions.nr,
                             f->seed, c->o->run.until, &info);
}

static void keep_failure(struct camp *c, struct fuzz_failure *f)
{
  struct failure_writer fw = {c, f};
  struct diag d = {0};

  snprintf(f->file, sizeof(f->file), "%s/failure-%" PRIu64 ".yaml",
           c->o->out_dir, f->seed);
  fuzz_generate(c->p, f->seed, &c->sc);
  f->actions = c->sc.actions.nr;
  fuzz_variant_label(&c->sc, f->variant, sizeof(f->variant));
  if (fuzz_write_atomic(f->file, write_failure, &fw, &d)) {
    char msg[700];
    diag_format(&d, msg, sizeof(msg));
    fprintf(stderr, "stsim fuzz: %s\n", msg);
    f->file[0] = '\0';
    if (!c->rc)
      c->rc = SIM_EIO;
  }
}

/* --- progress ------------------------------------------------------------- */

static void progress(struct camp *c, bool final)
{
  const struct fuzz_campaign_opts *o = c->o;
  double now, rate;

  if (o->verbosity < 0 || !o->progress || !o->wall_clock || !c->count)
    return;
  now = o->wall_clock();
  rate = now > c->t0 ? (double)c->received / (now - c->t0) : 0;
  if (o->progress_tty) {
    if (!final && now - c->last_draw < 0.1)
      return;
    c->last_draw = now;
    int fill = (int)(c->received * 30 / c->count);
    fprintf(o->progress,
            "\r  fuzz [%.*s%.*s] %" PRIu64 "/%" PRIu64
            " runs  %.0f runs/s  %" PRIu64 " failed ",
            fill, "##############################", 30 - fill,
            "------------------------------", c->received, c->count, rate,
            c->sum->failures);
    if (final)
      fputc('\n', o->progress);
    fflush(o->progress);
    return;
  }
  int decile = (int)(c->received * 10 / c->count);
  if (decile > c->last_decile) {
    c->last_decile = decile;
    fprintf(o->progress,
            "fuzz: %d%% (%" PRIu64 "/%" PRIu64 " runs), %" PRIu64
            " failed, %.0f runs/s\n",
            decile * 10, c->received, c->count, c->sum->failures, rate);
    fflush(o->progress);
  }
}

/* --- the loop ------------------------------------------------------------- */

static bool stop_now(const struct camp *c)
{
  return c->o->max_failures && c->sum->failures >= c->o->max_failures;
}

/* Aggregates what is ready, in position order. Returns the next
 * position not aggregated. */
static uint64_t aggregate(struct camp *c, uint64_t next)
{
  while (next < c->count && !stop_now(c)) {
    struct lane *l = &c->lanes[next % c->lanes_nr];
    if (l->head == l->q.nr)
      break;
    struct fuzz_outcome *o = &l->q.v[l->head++];
    size_t kept = c->sum->kept.nr;
    fuzz_summary_add(c->sum, o);
    if (c->sum->kept.nr > kept)
      keep_failure(c, &c->sum->kept.v[kept]);
    fuzz_outcome_release(o);
    if (l->head == l->q.nr)
      l->head = l->q.nr = 0;
    next++;
  }
  return next;
}

static void stop_workers(struct camp *c)
{
  for (size_t i = 0; i < c->lanes_nr; i++) {
    struct lane *l = &c->lanes[i];
    int status;
    if (!l->running)
      continue;
    kill(l->pid, SIGKILL);
    close(l->fd);
    while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
      ;
    l->running = false;
  }
}

static int mkdir_p(const char *dir, struct diag *d)
{
  char *p = xstrdup(dir);
  int rc = 0;

  for (char *s = p + 1;; s++) {
    if (*s && *s != '/')
      continue;
    char save = *s;
    *s = '\0';
    if (mkdir(p, 0777) && errno != EEXIST) {
      rc = diagf(d, p, 0, 0, SIM_EIO, "cannot create the output directory: %s",
                 strerror(errno));
      break;
    }
    *s = save;
    if (!save)
      break;
  }
  free(p);
  return rc;
}

/* --- shrinking the kept failures ------------------------------------------ */

struct shrink_answer {
  size_t after;
  int ok;
};

static void shrink_one(struct camp *c, struct fuzz_failure *f, int fd)
{
  struct fuzz_shrink_stats st = {0};
  struct shrink_answer ans = {0};
  struct diag d = {0};
  char *min = fuzz_min_path(f->file);
  struct fuzz_shrink_job job = {
      .s = &c->sc.run,
      .mutant = c->o->run.mutant,
      .properties = c->o->run.properties,
      .seed = f->seed,
      .until = c->o->run.until,
      .target = {f->v.prop, f->v.code},
      .fail_at = f->v.at,
      .budget = c->o->shrink_budget ? c->o->shrink_budget : 2000,
      .out_path = min,
      .info = {.scenario = c->o->scenario_label,
               .master_seed = c->o->master_seed,
               .index = f->index,
               .seed = f->seed,
               .mutant = c->o->run.mutant,
               .v = &f->v,
               .variant = f->variant},
  };

  signal(SIGINT, SIG_IGN);
  fuzz_generate(c->p, f->seed, &c->sc);
  job.actions = c->sc.actions.v;
  job.nr = c->sc.actions.nr;
  ans.ok = !fuzz_shrink_to_file(&job, &st, &d);
  ans.after = st.after;
  if (!ans.ok) {
    char msg[700];
    diag_format(&d, msg, sizeof(msg));
    fprintf(stderr, "stsim fuzz: %s\n", msg);
  }
  free(min);
  if (write_all(fd, &ans, sizeof(ans)))
    _exit(1);
  _exit(0);
}

/* One child per failure, up to jobs at a time; each forks its candidates. */
static void shrink_all(struct camp *c)
{
  struct job {
    pid_t pid;
    int fd;
    size_t f;
  } *running = xcalloc(c->o->jobs, sizeof(*running));
  size_t next = 0, nr = 0;

  for (;;) {
    while (nr < c->o->jobs && next < c->sum->kept.nr && !*c->o->interrupted) {
      struct fuzz_failure *f = &c->sum->kept.v[next];
      int fds[2];
      if (!f->file[0]) {
        next++;
        continue;
      }
      if (pipe(fds))
        SIM_BUG("pipe: %s", strerror(errno));
      fflush(stdout);
      fflush(stderr);
      pid_t pid = fork();
      if (pid < 0)
        SIM_BUG("fork: %s", strerror(errno));
      if (pid == 0) {
        close(fds[0]);
        free(running); /* the parent's bookkeeping: not the child's */
        shrink_one(c, f, fds[1]);
      }
      close(fds[1]);
      running[nr++] = (struct job){pid, fds[0], next++};
    }
    if (!nr)
      break;
    /* Wait for the oldest: results are the same in any order. */
    struct shrink_answer ans = {0};
    size_t got = 0;
    while (got < sizeof(ans)) {
      ssize_t n = read(running[0].fd, (char *)&ans + got, sizeof(ans) - got);
      if (n < 0 && errno == EINTR) {
        if (*c->o->interrupted)
          kill(running[0].pid, SIGKILL);
        continue;
      }
      if (n <= 0)
        break;
      got += (size_t)n;
    }
    close(running[0].fd);
    int status;
    while (waitpid(running[0].pid, &status, 0) < 0 && errno == EINTR)
      ;
    if (got == sizeof(ans) && ans.ok) {
      struct fuzz_failure *f = &c->sum->kept.v[running[0].f];
      char *min = fuzz_min_path(f->file);
      snprintf(f->min_file, sizeof(f->min_file), "%s", min);
      f->min_actions = ans.after;
      free(min);
    }
    memmove(running, running + 1, --nr * sizeof(*running));
  }
  free(running);
}

int fuzz_campaign(const struct fuzz_profile *p,
                  const struct fuzz_campaign_opts *o, struct fuzz_summary *sum,
                  struct diag *d)
{
  static volatile int never;
  struct camp c = {.p = p, .o = o, .sum = sum, .d = d, .last_decile = 0};
  struct fuzz_campaign_opts oo = *o;
  uint64_t next = 0;

  if (!oo.interrupted)
    oo.interrupted = &never;
  c.o = &oo;
  if (oo.shard_n == 0)
    oo.shard_n = 1;
  c.count =
      oo.runs > oo.shard_k ? (oo.runs - oo.shard_k - 1) / oo.shard_n + 1 : 0;
  fuzz_summary_init(sum);
  snprintf(sum->scenario, sizeof(sum->scenario), "%s", p->s->name);
  sum->input_digest = p->s->input_digest;
  sum->master_seed = oo.master_seed;
  sum->runs_planned = oo.runs;
  sum->until = oo.run.until;
  snprintf(sum->mutant, sizeof(sum->mutant), "%s",
           oo.run.mutant ? oo.run.mutant : "");
  sum->shard_n = oo.shard_n;
  sum->shards_nr = 1;
  sum->shard_k[0] = oo.shard_k;
  if (mkdir_p(oo.out_dir, d))
    return SIM_EIO;

  c.lanes_nr = oo.jobs ? oo.jobs : 1;
  if (c.lanes_nr > c.count)
    c.lanes_nr = c.count ? (size_t)c.count : 1;
  c.lanes = xcalloc(c.lanes_nr, sizeof(*c.lanes));
  fuzz_schedule_init(&c.sc);
  c.t0 = oo.wall_clock ? oo.wall_clock() : 0;
  for (size_t i = 0; i < c.lanes_nr; i++) {
    c.lanes[i].len =
        c.count > i ? (c.count - i + c.lanes_nr - 1) / c.lanes_nr : 0;
    spawn(&c, i);
  }

  struct pollfd *pfd = xcalloc(c.lanes_nr, sizeof(*pfd));
  size_t *who = xcalloc(c.lanes_nr, sizeof(*who));
  for (;;) {
    next = aggregate(&c, next);
    progress(&c, false);
    if (next == c.count || stop_now(&c) || *oo.interrupted)
      break;
    size_t n = 0;
    for (size_t i = 0; i < c.lanes_nr; i++) {
      if (!c.lanes[i].running)
        continue;
      pfd[n] = (struct pollfd){.fd = c.lanes[i].fd, .events = POLLIN};
      who[n++] = i;
    }
    if (!n)
      SIM_BUG("fuzz: runs missing with no worker left (next %" PRIu64 ")",
              next);
    int ready = poll(pfd, n, oo.progress_tty ? 100 : 1000);
    if (ready < 0 && errno == EINTR)
      continue;
    for (size_t k = 0; ready > 0 && k < n; k++)
      if (pfd[k].revents)
        receive(&c, who[k]);
  }
  stop_workers(&c);
  free(pfd);
  free(who);
  sum->stopped = stop_now(&c) && next < c.count;
  sum->interrupted = *oo.interrupted && next < c.count;
  progress(&c, true);
  /* runs/s is about the runs: shrinking comes after */
  sum->wall_seconds = oo.wall_clock ? oo.wall_clock() - c.t0 : 0;
  if (oo.shrink && !*oo.interrupted)
    shrink_all(&c);
  for (size_t i = 0; i < c.lanes_nr; i++) {
    struct lane *l = &c.lanes[i];
    for (size_t k = l->head; k < l->q.nr; k++)
      fuzz_outcome_release(&l->q.v[k]);
    free(l->q.v);
    free(l->buf);
    if (l->err)
      fclose(l->err);
  }
  free(c.lanes);
  fuzz_schedule_release(&c.sc);
  return c.rc;
}
