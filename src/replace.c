/* Replacing a file without ever losing it: the new content goes to a
 * temporary file beside the path, is synced, and is renamed over the path
 * only when complete. Used by tg_save and tg_graph_save_dot.
 *
 * What may be replaced: nothing (a new file) or a regular file. A symbolic
 * link (dangling or not), a directory, a device, a FIFO or a socket at the
 * path is refused before anything is written: renaming over it would turn
 * it into a regular file (as root, /dev/full itself), and a symbolic link
 * would stop pointing where its owner put it. The existing file's
 * permission bits carry over to the new one, so a private 0600 model stays
 * private; a new file gets 0666 less the umask, as fopen gives. The check
 * and the rename are two steps: a path swapped between them by another
 * process is not detected (no portable call closes that gap). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    if (S_ISLNK(m)) return "a symbolic link";
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

tg_status tg__replace_open(const char *who, const char *path, char **tmp,
                           int *fd)
{
    static _Atomic unsigned counter;
    *tmp = NULL;
    *fd = -1;
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return tg__set_last_error(TG_ERR_IO, "%s: cannot inspect \"%s\": %s",
                                  who, path, strerror(errno));
    if (exists && !S_ISREG(st.st_mode))
        return tg__set_last_error(TG_ERR_IO,
                                  "%s: \"%s\" is %s; only a regular file is "
                                  "replaced, and it is left as it is; hint: "
                                  "write to a regular file's path (for a "
                                  "link, its target)",
                                  who, path, kind_of(st.st_mode));
    size_t plen = strlen(path) + 64;
    char *t = tg__malloc(plen);
    if (!t)
        return tg__set_last_error(TG_ERR_OOM, "%s: %s: out of memory", who,
                                  path);
    snprintf(t, plen, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int f = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f < 0) {
        tg_status s = tg__set_last_error(TG_ERR_IO,
                                         "%s: cannot create \"%s\": %s", who,
                                         t, strerror(errno));
        tg__free(t);
        return s;
    }
    /* the existing file's permission bits (and owner, when allowed) */
    if (exists) {
        int r = fchown(f, st.st_uid, st.st_gid); /* refused unless root */
        r |= fchmod(f, st.st_mode & 07777);       /* after: chown clears
                                                     set-id bits */
        (void)r; /* best effort: the content is what must not fail */
    }
    *tmp = t;
    *fd = f;
    return TG_OK;
}

/* fsync the directory holding path, so the rename itself is durable. */
static void sync_dir(const char *path)
{
    size_t len = strlen(path) + 1;
    char *copy = tg__malloc(len);
    if (!copy) return;
    memcpy(copy, path, len);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd); /* some file systems refuse: nothing to undo */
        close(dfd);
    }
    tg__free(copy);
}

int tg__replace_finish(const char *path, char *tmp, int fd, int err)
{
    if (fd >= 0) { /* else the caller has synced and closed it */
        if (!err && fsync(fd) != 0) err = errno;
        if (close(fd) != 0 && !err) err = errno;
    }
    if (!err && rename(tmp, path) != 0) err = errno;
    if (err) unlink(tmp);
    else sync_dir(path);
    tg__free(tmp);
    return err;
}
