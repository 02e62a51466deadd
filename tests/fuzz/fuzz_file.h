/* For the file-reader fuzz targets: the input bytes become a file the
 * loaders open by path. An anonymous in-memory file (memfd) is written
 * once per input and opened through /proc/self/fd, so fuzzing touches no
 * disk and leaves nothing behind. */
#ifndef TAPEGRAD_FUZZ_FILE_H
#define TAPEGRAD_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Replace the memfd's contents with data[0..size) and return its path
 * (static storage), or abort when the system refuses (not an input bug). */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("tapegrad-fuzz", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t k = pwrite(fd, data + off, size - off, (off_t)off);
        if (k <= 0) abort();
        off += (size_t)k;
    }
    return path;
}

/* Abort (a finding) when a contract the header promises is broken. */
static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "contract violated: %s\n", what);
        abort();
    }
}

#endif
