/*
 * atomic.c - result files written atomically (design.md, reliability):
 * a temporary file beside the target, flushed to disk, then renamed over
 * it. rename() within one directory is atomic on POSIX file systems, so a
 * killed run leaves the old file or the new one, and at worst a stray
 * temporary, never a truncated report.
 *
 * The temporary's name is path.tmp, or path.tmpN when that exists (another
 * writer, or a run that was killed): O_EXCL guarantees that two writers
 * never share one. No randomness and no process id: names stay a pure
 * function of what is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

#define MAX_TRIES 100

static void release(struct report_file *rf)
{
  free(rf->path);
  free(rf->tmp);
  *rf = (struct report_file){0};
}

int report_file_open(struct report_file *rf, const char *path, struct diag *d)
{
  size_t n = strlen(path) + 16;
  int fd = -1, err = 0;

  struct stat st;

  *rf = (struct report_file){0};
  /* A directory would only fail at the rename, after the whole run. */
  if (!*path || path[strlen(path) - 1] == '/' ||
      (!stat(path, &st) && S_ISDIR(st.st_mode)))
    return diagf(d, "", 0, 0, SIM_EIO, "cannot write '%s': %s", path,
                 strerror(EISDIR));
  rf->path = xstrdup(path);
  rf->tmp = xmalloc(n);
  for (int i = 0; i < MAX_TRIES; i++) {
    if (i)
      snprintf(rf->tmp, n, "%s.tmp%d", path, i);
    else
      snprintf(rf->tmp, n, "%s.tmp", path);
    fd = open(rf->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0) {
    err = errno;
    release(rf);
    return diagf(d, "", 0, 0, SIM_EIO, "cannot write '%s': %s", path,
                 strerror(err));
  }
  rf->f = fdopen(fd, "w");
  if (!rf->f) {
    err = errno;
    close(fd);
    unlink(rf->tmp);
    release(rf);
    return diagf(d, "", 0, 0, SIM_EIO, "cannot write '%s': %s", path,
                 strerror(err));
  }
  return 0;
}

int report_file_commit(struct report_file *rf, struct diag *d)
{
  int err = 0;

  errno = 0;
  if (fflush(rf->f) || ferror(rf->f))
    err = errno ? errno : EIO;
  else if (fsync(fileno(rf->f)) && errno != EINVAL && errno != EROFS)
    err = errno; /* EINVAL: a file (pipe, special file) that cannot sync */
  if (fclose(rf->f) && !err)
    err = errno ? errno : EIO;
  rf->f = NULL;
  if (!err && rename(rf->tmp, rf->path))
    err = errno;
  if (err) {
    int rc = diagf(d, "", 0, 0, SIM_EIO, "cannot write '%s': %s", rf->path,
                   strerror(err));
    unlink(rf->tmp);
    release(rf);
    return rc;
  }
  release(rf);
  return 0;
}

void report_file_abort(struct report_file *rf)
{
  if (rf->f) {
    fclose(rf->f);
    unlink(rf->tmp);
  }
  release(rf);
}
